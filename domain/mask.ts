/** A name as a counter clerk may see it: each word's first letter, the rest hidden ("N*** V** A*"). */
export const maskName = (name: string): string =>
  name
    .trim()
    .split(/\s+/)
    .map((word) => {
      const letters = [...word];
      return letters.length === 0 ? "" : `${letters[0]}${"*".repeat(Math.max(1, letters.length - 1))}`;
    })
    .join(" ");
