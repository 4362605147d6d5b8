const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 date-time (`2026-11-27T18:00:00Z`,
 * `2026-11-27T19:00:00.5+01:00`) into Unix epoch milliseconds, or returns
 * `undefined` when `text` is not one: a date that does not exist
 * (`2026-02-30`), a missing offset, a space instead of `T`, or anything
 * else. A leap second (`:60`) counts as the last millisecond of its minute.
 *
 * @example
 * ```ts
 * import { parseRfc3339 } from "@harmony/fleet/contracts";
 * parseRfc3339("1970-01-01T00:00:01Z"); // 1000
 * parseRfc3339("10m"); // undefined
 * ```
 */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (
    month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour > 23 || minute > 59 || second > 60
  ) {
    return undefined;
  }
  let offsetMinutes = 0;
  if (sign !== undefined) {
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    offsetMinutes = (Number(oh) * 60 + Number(om)) * (sign === "-" ? -1 : 1);
  }
  const ms = second === 60
    ? 999
    : Math.floor(Number(`0${fraction ?? ""}`) * 1000);
  // Not Date.UTC: it reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), ms);
  return date.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
