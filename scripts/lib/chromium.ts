// The Chromium that page tests drive through playwright-core. It comes from Debian's package,
// never from a browser download (Playwright's own installer fetches from hosts our machines and
// CI cannot reach), so the only way to get it is apt.
import { spawn } from "node:child_process";
import { access, constants } from "node:fs/promises";
import { findExecutable } from "./processes.ts";

export const CHROMIUM_PATH = "/usr/bin/chromium";
const INSTALL = ["install", "-y", "--no-install-recommends", "chromium"];

/** The path of Debian's Chromium, installing the package first when we can (root + apt-get). */
export async function ensureChromium(): Promise<string> {
  if (await executable(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const command = `apt-get ${INSTALL.join(" ")}`;
  if (process.getuid?.() !== 0 || !findExecutable("apt-get")) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}. Install it with: sudo ${command}`);
  }
  console.error(`[chromium] ${CHROMIUM_PATH} is missing; running: ${command}`);
  let result = await aptGet(INSTALL);
  // On a fresh machine the package lists are empty: update once, only when that is the cause.
  if (result.code !== 0 && /Unable to locate package|has no installation candidate/.test(result.output)) {
    console.error("[chromium] package lists are missing or stale; running: apt-get update");
    const update = await aptGet(["update"]);
    if (update.code !== 0) throw new Error(`apt-get update failed (exit ${update.code})`);
    result = await aptGet(INSTALL);
  }
  if (result.code !== 0 || !(await executable(CHROMIUM_PATH))) {
    throw new Error(`could not install Chromium (exit ${result.code}); try by hand: ${command}`);
  }
  return CHROMIUM_PATH;
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Runs apt-get, streaming its output to our stderr while keeping it to inspect. */
function aptGet(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Wait for another apt/dpkg (e.g. unattended upgrades) instead of failing on its lock.
    const child = spawn("apt-get", ["-o", "DPkg::Lock::Timeout=300", ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const onData = (chunk: Buffer) => {
      process.stderr.write(chunk);
      output += chunk.toString("utf8");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}
