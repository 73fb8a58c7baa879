/**
 * Just enough Markdown for the README as a help page: headings, paragraphs,
 * lists, tables, fenced code, and inline code, bold and links. Built as React
 * elements, never as HTML, so nothing in the text can run or restyle the page.
 * Web links open outside the app; links into the repository stay plain text.
 */
import type { ReactNode } from 'react';

type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'para'; text: string };

const cells = (line: string): string[] => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; ) {
    const line = lines[i] as string;
    if (line.startsWith('```')) {
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
      blocks.push({ kind: 'code', text: body.join('\n') });
      i++;
    } else if (/^#{1,6} /.test(line)) {
      const hashes = /^#+/.exec(line)?.[0].length ?? 1;
      blocks.push({ kind: 'heading', level: hashes, text: line.slice(hashes + 1).trim() });
      i++;
    } else if (/^\s*\|/.test(line)) {
      const rows: string[][] = [];
      for (; i < lines.length && /^\s*\|/.test(lines[i] as string); i++) rows.push(cells(lines[i] as string));
      const [head = [], ...rest] = rows;
      blocks.push({ kind: 'table', head, rows: rest.filter((r) => !r.every((c) => /^:?-+:?$/.test(c))) });
    } else if (/^\s*([-*]|\d+\.) /.test(line)) {
      const items: string[] = [];
      for (; i < lines.length && (lines[i] as string).trim() !== '' && !(lines[i] as string).startsWith('```'); i++) {
        const l = lines[i] as string;
        if (/^\s*([-*]|\d+\.) /.test(l)) items.push(l.replace(/^\s*([-*]|\d+\.) /, ''));
        else items[items.length - 1] += ` ${l.trim()}`; // a wrapped line of the item above
      }
      blocks.push({ kind: 'list', items });
    } else if (line.trim() === '') {
      i++;
    } else {
      const para: string[] = [];
      for (; i < lines.length && (lines[i] as string).trim() !== '' && !/^(```|#{1,6} |\s*\||\s*([-*]|\d+\.) )/.test(lines[i] as string); i++) para.push((lines[i] as string).trim());
      blocks.push({ kind: 'para', text: para.join(' ') });
    }
  }
  return blocks;
}

/** `code`, **bold**, *emphasis* and [text](https://…) within a line. */
function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  const pattern = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)|\*([^*\s][^*]*)\*/g;
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const key = out.length;
    if (m[1] !== undefined) out.push(<code key={key}>{m[1]}</code>);
    else if (m[2] !== undefined) out.push(<strong key={key}>{inline(m[2])}</strong>);
    else if (m[5] !== undefined) out.push(<em key={key}>{m[5]}</em>);
    else if (/^https?:\/\//.test(m[4] as string)) out.push(<a key={key} href={m[4]} target="_blank" rel="noreferrer">{m[3]}</a>);
    else out.push(m[3]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ source }: { source: string }) {
  return (
    <>
      {parseMarkdown(source).map((b, i) => {
        if (b.kind === 'heading') {
          // The page has its own h2 title: the README's levels sit below it.
          const Tag = `h${Math.min(6, b.level + 1)}` as 'h2';
          return <Tag key={i}>{inline(b.text)}</Tag>;
        }
        if (b.kind === 'code') return <pre key={i} className="mono">{b.text}</pre>;
        if (b.kind === 'list') return <ul key={i}>{b.items.map((it, j) => <li key={j}>{inline(it)}</li>)}</ul>;
        if (b.kind === 'table')
          return (
            <div key={i} className="help-table">
              <table className="grid">
                <thead><tr>{b.head.map((h, j) => <th key={j}>{inline(h)}</th>)}</tr></thead>
                <tbody>{b.rows.map((r, j) => <tr key={j}>{r.map((c, k) => <td key={k}>{inline(c)}</td>)}</tr>)}</tbody>
              </table>
            </div>
          );
        return <p key={i}>{inline(b.text)}</p>;
      })}
    </>
  );
}
