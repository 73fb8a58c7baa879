/**
 * The terminals' colours, light or dark as the system is (as the rest of the
 * window, which follows `prefers-color-scheme` in CSS). xterm draws on a canvas
 * and takes colours as values, not CSS variables, so they are set here and
 * swapped live when the system setting changes. The backgrounds are the
 * `--term-bg` of styles.css.
 */
import type { ITheme } from '@xterm/xterm';

/** The ANSI colours at 4.5:1 or more on white where it matters (VS Code's light palette). */
const LIGHT: ITheme = {
  background: '#ffffff',
  foreground: '#1d2330',
  cursor: '#1d2330',
  cursorAccent: '#ffffff',
  selectionBackground: '#add6ff',
  black: '#000000',
  red: '#cd3131',
  green: '#107c10',
  yellow: '#795e00',
  blue: '#0451a5',
  magenta: '#bc05bc',
  cyan: '#0e7490',
  white: '#555555',
  brightBlack: '#666666',
  brightRed: '#cd3131',
  brightGreen: '#14811f',
  brightYellow: '#8a6d00',
  brightBlue: '#0451a5',
  brightMagenta: '#bc05bc',
  brightCyan: '#0e7490',
  brightWhite: '#6e6e6e',
};

const DARK: ITheme = {
  background: '#14171f',
  foreground: '#e3e6ea',
  cursor: '#e3e6ea',
  cursorAccent: '#14171f',
  selectionBackground: '#3a4a6b',
};

const query = () => window.matchMedia('(prefers-color-scheme: dark)');

export function terminalTheme(): ITheme {
  return query().matches ? DARK : LIGHT;
}

/** Calls `apply` with the new theme whenever the system switches between light and dark; returns the unsubscribe. */
export function followTerminalTheme(apply: (theme: ITheme) => void): () => void {
  const media = query();
  const onChange = () => apply(terminalTheme());
  media.addEventListener('change', onChange);
  return () => media.removeEventListener('change', onChange);
}
