import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { findExecutable } from "./processes.ts";

const run = promisify(execFile);

/**
 * Debian's docker-compose validates docker-compose.yml (no Docker engine runs here, so only
 * `config` is used). Installed from Debian's packages when missing and we are root.
 */
export async function ensureDockerCompose(): Promise<string> {
  const found = findExecutable("docker-compose");
  if (found) return found;
  if (process.getuid?.() !== 0 || !findExecutable("apt-get")) {
    throw new Error("docker-compose is missing: install it with `apt-get install -y docker-compose`");
  }
  console.log("Installing Debian's docker-compose (used only to validate docker-compose.yml)...");
  const install = () =>
    run("apt-get", ["install", "-y", "--no-install-recommends", "docker-compose"], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      maxBuffer: 64 * 1024 * 1024,
    });
  try {
    await install();
  } catch {
    await run("apt-get", ["update"], { maxBuffer: 64 * 1024 * 1024 });
    await install();
  }
  const installed = findExecutable("docker-compose");
  if (!installed) throw new Error("apt-get installed docker-compose but it is not on PATH");
  return installed;
}
