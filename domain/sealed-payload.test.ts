import { describe, expect, it } from "vitest";
import { seal, unseal } from "./sealed-payload.ts";

const KEY = "k".repeat(64);
const payer = { name: "Nguyễn Văn An", id_number: "001203004567", phone: "0912345678" };

describe("sealed payloads", () => {
  it("opens what it sealed, and shows nothing of it", () => {
    const sealed = seal(payer, KEY);
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+$/);
    for (const clear of ["Nguy", "001203004567", "0912345678", "name"]) expect(sealed).not.toContain(clear);
    expect(unseal(sealed, KEY)).toEqual(payer);
  });

  it("seals the same value differently each time", () => {
    expect(seal(payer, KEY)).not.toBe(seal(payer, KEY));
  });

  it("refuses another key, an altered byte and another format", () => {
    const sealed = seal(payer, KEY);
    expect(() => unseal(sealed, "x".repeat(64))).toThrow();
    const last = sealed.at(-2) === "A" ? "B" : "A";
    expect(() => unseal(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, KEY)).toThrow();
    expect(() => unseal(`v2${sealed.slice(2)}`, KEY)).toThrow("not a sealed payload");
    expect(() => unseal("plain text", KEY)).toThrow("not a sealed payload");
  });
});
