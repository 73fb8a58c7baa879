/**
 * A workspace's files as its sandbox sees them: one folder at a time (quick
 * links to the project and the home), a file downloaded with one click, and
 * files dropped on the tab (or picked) uploaded into the folder shown. Every
 * read and write goes through `tar` inside the sandbox (files.list,
 * files.download, files.upload), and each copy is a journal entry.
 */
import { useCallback, useEffect, useRef, useState, type DragEvent } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { SandboxListing, Workspace } from '../../../src-preload/contract';
import { base64Bytes, bytesBase64, newRequestId } from '../ids';
import { firstFileIn, tarOneFile } from './tar';

/** Raw bytes per upload chunk: far under the contract's cap once in base64. */
const CHUNK_BYTES = 1024 * 1024;

interface Props {
  client: BenchtopClient;
  workspace: Workspace;
}

function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}


const parentOf = (p: string) => (p === '/' ? '/' : p.replace(/\/[^/]*$/, '') || '/');
const joinPath = (dir: string, name: string) => (dir === '/' ? `/${name}` : `${dir}/${name}`);

export function FilesTab({ client, workspace }: Props) {
  const [listing, setListing] = useState<SandboxListing | null>(null);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [busy, setBusy] = useState(false);
  const pickRef = useRef<HTMLInputElement>(null);
  const running = workspace.state === 'running';

  const open = useCallback(
    async (path?: string) => {
      try {
        const l = await client.call('files.list', { workspace: workspace.id, ...(path ? { path } : {}) });
        setListing(l);
        setTyped(l.path);
        setError(null);
      } catch (err) {
        setError((err as Error).message);
        setStatus(null);
      }
    },
    [client, workspace.id],
  );

  useEffect(() => {
    if (running) void open();
  }, [open, running]);

  async function upload(files: File[]) {
    if (!listing || !files.length) return;
    setBusy(true);
    setError(null);
    try {
      for (const file of files) {
        setStatus(`Uploading ${file.name}…`);
        const tar = new Uint8Array(await tarOneFile(file.name, new Uint8Array(await file.arrayBuffer()), file.lastModified / 1000).arrayBuffer());
        const transferId = newRequestId();
        const result = client.call('files.upload', { workspace: workspace.id, path: `${listing.path}/`, name: file.name, transferId, source: file.name });
        const ended = result.then(
          () => true,
          () => true,
        );
        let stop = false;
        void ended.then(() => (stop = true));
        try {
          for (let at = 0; at < tar.length && !stop; at += CHUNK_BYTES) {
            await client.call('files.uploadChunk', { transferId, data: bytesBase64(tar.subarray(at, at + CHUNK_BYTES)) });
          }
          if (!stop) await client.call('files.uploadChunk', { transferId, eof: true });
        } catch {
          // The upload ended first: its result says why.
        }
        await result;
        setStatus(`Uploaded ${file.name} (${bytesText(file.size)}) to ${listing.path}`);
      }
    } catch (err) {
      setError((err as Error).message);
      setStatus(null);
    } finally {
      setBusy(false);
      void open(listing.path);
    }
  }

  async function download(name: string) {
    if (!listing) return;
    const transferId = newRequestId();
    const chunks: Uint8Array[] = [];
    const off = client.on('files.data', (d) => {
      if (d.transferId === transferId) chunks.push(base64Bytes(d.data));
    });
    setStatus(`Downloading ${name}…`);
    try {
      await client.call('files.download', { workspace: workspace.id, path: joinPath(listing.path, name), transferId, target: `${name} (browser download)` });
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      const file = firstFileIn(all);
      if (!file) throw new Error(`${name}: not a regular file`);
      const url = URL.createObjectURL(new Blob([file.data as BlobPart]));
      const a = document.createElement('a');
      a.href = url;
      a.download = file.name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus(`Downloaded ${name} (${bytesText(file.data.length)})`);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
      setStatus(null);
    } finally {
      off();
    }
  }

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void upload(Array.from(e.dataTransfer.files));
  };

  if (!running) return <p className="muted files-tab">Start the workspace to see its files.</p>;

  return (
    <section
      className={`files-tab${dragging ? ' dropping' : ''}`}
      aria-label="Files"
      data-testid="files-tab"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <form
        className="files-path"
        onSubmit={(e) => {
          e.preventDefault();
          void open(typed);
        }}
      >
        <label className="sr-only" htmlFor="files-path">
          Folder in the workspace
        </label>
        <input id="files-path" value={typed} onChange={(e) => setTyped(e.target.value)} spellCheck={false} data-testid="files-path" />
        <button type="submit">Go</button>
        <button type="button" onClick={() => listing && void open(parentOf(listing.path))} disabled={!listing || listing.path === '/'}>
          Up
        </button>
        <button type="button" onClick={() => listing && void open(listing.project)} data-testid="files-project">
          Project
        </button>
        <button type="button" onClick={() => listing && void open(listing.home)} disabled={!listing?.home} data-testid="files-home">
          Home
        </button>
        <button type="button" onClick={() => pickRef.current?.click()} disabled={busy || !listing}>
          Upload files…
        </button>
        <input
          ref={pickRef}
          type="file"
          multiple
          hidden
          aria-label="Files to upload"
          data-testid="files-pick"
          onChange={(e) => {
            void upload(Array.from(e.target.files ?? []));
            e.target.value = '';
          }}
        />
      </form>
      <p className="muted files-hint">Drop files here to upload them into {listing?.path ?? 'this folder'}.</p>
      <div role="status" aria-live="polite" className="files-status" data-testid="files-status">
        {status}
      </div>
      {error && (
        <p className="error" role="alert" data-testid="files-error">
          {error}
        </p>
      )}
      {listing && (
        <table className="files-list" data-testid="files-list">
          <caption className="sr-only">Contents of {listing.path}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {listing.entries.length === 0 && (
              <tr>
                <td colSpan={3} className="muted">
                  Empty folder
                </td>
              </tr>
            )}
            {listing.entries.map((e) => (
              <tr key={e.name} data-testid="files-entry">
                <td>
                  {e.kind === 'dir' || e.kind === 'link' ? (
                    <button type="button" className="files-open" onClick={() => void open(joinPath(listing.path, e.name))} title={e.kind === 'link' ? 'a link: opens where it points, in the sandbox' : undefined}>
                      {/* As `ls -F` marks them: a folder ends in /, a link in @. */}
                      {e.name}
                      {e.kind === 'dir' ? '/' : '@'}
                    </button>
                  ) : (
                    <span className="files-name">{e.name}</span>
                  )}
                </td>
                <td className="files-size">{e.kind === 'file' ? bytesText(e.size) : ''}</td>
                <td>
                  {e.kind === 'file' && (
                    <button type="button" onClick={() => void download(e.name)} aria-label={`Download ${e.name}`}>
                      Download
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {listing?.truncated && <p className="muted">Only the first {listing.entries.length} entries are shown.</p>}
    </section>
  );
}
