/**
 * Telling a sandbox's own failure from the command's output: a sandbox that
 * could not run a command says so in lines that begin its own way ("Error: "
 * for podman, "bwrap: "). Output made only of such lines is held back until
 * it is known whether the command ran.
 */

/** Held output beyond this is the command's, whatever it looks like. */
export const SANDBOX_LINES_MAX = 4096;

/** True while every line of text (the last one may be partial) begins as the sandbox's own lines do. */
export function onlyLinesStartingWith(text: string, prefix: string): boolean {
  return text.split('\n').every((line, i, all) => {
    const l = line.replace(/^\r/, '');
    return i === all.length - 1 && l.length < prefix.length ? prefix.startsWith(l) : l.startsWith(prefix);
  });
}
