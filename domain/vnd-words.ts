import { doReadNumber, ReadingConfig } from "read-vietnamese-number";

// The Northern convention of official documents (receipts, treasury slips): "nghìn" not "ngàn",
// "linh" not "lẻ" for a zero tens digit, "tỷ" not "tỉ"; "mốt", "tư" and "lăm" after a tens word
// and "mười" for the teens are the library's defaults and the spoken norm.
const config = new ReadingConfig();
config.unit = ["đồng"];
config.oddText = "linh";
config.units = [[], ["nghìn"], ["triệu"], ["tỷ"]];

/**
 * An amount of VND in Vietnamese words, as a receipt or a treasury slip writes "Số tiền bằng chữ":
 * `amountInVietnameseWords(200000)` → "Hai trăm nghìn đồng". Larger units repeat the last one, as
 * Vietnamese does: 10^12 is "một nghìn tỷ".
 */
export const amountInVietnameseWords = (amount: number): string => {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`an amount in words needs a whole, non-negative number of đồng, not ${amount}`);
  }
  const words = doReadNumber(BigInt(amount), config);
  return words.charAt(0).toUpperCase() + words.slice(1);
};
