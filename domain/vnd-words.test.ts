import { describe, expect, it } from "vitest";
import { amountInVietnameseWords as words } from "./vnd-words.ts";

describe("amountInVietnameseWords", () => {
  it("reads zero and the units, capitalised, in đồng", () => {
    expect(words(0)).toBe("Không đồng");
    expect(words(1)).toBe("Một đồng");
    expect(words(9)).toBe("Chín đồng");
  });

  it("says mười for the teens and mươi for the other tens", () => {
    expect(words(10)).toBe("Mười đồng");
    expect(words(11)).toBe("Mười một đồng");
    expect(words(14)).toBe("Mười bốn đồng");
    expect(words(20)).toBe("Hai mươi đồng");
    expect(words(90)).toBe("Chín mươi đồng");
  });

  it("says mốt, tư and lăm after a tens word, but một, bốn and lăm after mười", () => {
    expect(words(21)).toBe("Hai mươi mốt đồng");
    expect(words(24)).toBe("Hai mươi tư đồng");
    expect(words(25)).toBe("Hai mươi lăm đồng");
    expect(words(15)).toBe("Mười lăm đồng");
    expect(words(55)).toBe("Năm mươi lăm đồng");
    expect(words(11_000)).toBe("Mười một nghìn đồng");
  });

  it("says linh (Northern, not lẻ) for a zero tens digit after hundreds", () => {
    expect(words(105)).toBe("Một trăm linh năm đồng");
    expect(words(101)).toBe("Một trăm linh một đồng");
    expect(words(110)).toBe("Một trăm mười đồng");
    expect(words(905_000_000)).toBe("Chín trăm linh năm triệu đồng");
  });

  it("says nghìn (Northern, not ngàn) and reads không trăm inside a number", () => {
    expect(words(1_000)).toBe("Một nghìn đồng");
    expect(words(1_005)).toBe("Một nghìn không trăm linh năm đồng");
    expect(words(1_010)).toBe("Một nghìn không trăm mười đồng");
    expect(words(200_000)).toBe("Hai trăm nghìn đồng");
  });

  it("reads millions, skipping an empty group", () => {
    expect(words(1_000_000)).toBe("Một triệu đồng");
    expect(words(1_005_000)).toBe("Một triệu không trăm linh năm nghìn đồng");
    expect(words(1_000_005)).toBe("Một triệu không trăm linh năm đồng");
    expect(words(5_001_000)).toBe("Năm triệu không trăm linh một nghìn đồng");
    expect(words(1_250_000)).toBe("Một triệu hai trăm năm mươi nghìn đồng");
  });

  it("reads billions in tỷ and repeats it past 10^12", () => {
    expect(words(1_000_000_000)).toBe("Một tỷ đồng");
    expect(words(1_000_010_000)).toBe("Một tỷ không trăm mười nghìn đồng");
    expect(words(1_000_000_000_000)).toBe("Một nghìn tỷ đồng");
    expect(words(1_234_567_891_234)).toBe(
      "Một nghìn hai trăm ba mươi tư tỷ năm trăm sáu mươi bảy triệu tám trăm chín mươi mốt nghìn hai trăm ba mươi tư đồng",
    );
  });

  it("refuses what is not a whole, non-negative number of đồng", () => {
    expect(() => words(-1)).toThrow(RangeError);
    expect(() => words(1.5)).toThrow(RangeError);
    expect(() => words(Number.MAX_SAFE_INTEGER + 1)).toThrow(RangeError);
    expect(() => words(Number.NaN)).toThrow(RangeError);
  });
});
