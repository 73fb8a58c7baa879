/** Quotes argv for display as one POSIX shell line (display only: nothing is ever run from it). */
export function displayCommand(argv: string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
