import { randomInt } from "node:crypto";

// Luhn: the check digit every card number carries; it catches a mistyped digit and most swaps,
// which is what counter staff typing a code need.
const luhnDigit = (digits: string): number => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
};

/** A new payment code: 15 random digits and a Luhn check digit (10^15 codes: unguessable in practice). */
export const newPaymentCode = (): string => {
  let body = String(randomInt(1, 10));
  while (body.length < 15) body += String(randomInt(0, 10));
  return body + luhnDigit(body);
};

/** True for 16 digits whose last one is the Luhn check digit of the others. Spaces are ignored. */
export const isPaymentCode = (input: string): boolean => {
  const code = input.replace(/\s+/g, "");
  return /^\d{16}$/.test(code) && luhnDigit(code.slice(0, 15)) === Number(code[15]);
};

/** The code as people read it: four groups of four. */
export const formatPaymentCode = (code: string): string => code.replace(/(\d{4})(?=\d)/g, "$1 ");
