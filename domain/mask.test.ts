import { describe, expect, it } from "vitest";
import { maskName } from "./mask.ts";

describe("maskName", () => {
  it("keeps only each word's first letter, Vietnamese letters included", () => {
    expect(maskName("Nguyễn Văn An")).toBe("N***** V** A*");
    expect(maskName("  Đỗ   Thị  Ánh ")).toBe("Đ* T** Á**");
    expect(maskName("X")).toBe("X*");
  });
});
