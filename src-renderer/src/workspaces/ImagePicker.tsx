/**
 * The image field of the create form: free text still works, and below it the
 * images this backend can use (its store, folders and files used before) with
 * size and age, as a radio group (arrow keys move). For a backend with an
 * image store of its own (podman), Pull takes any reference podman knows — a
 * registry name on a connected desktop, `oci-archive:/path.tar` offline — and
 * shows its progress lines as they come; the pulled image is then chosen.
 */
import { useCallback, useEffect, useId, useRef, useState } from 'react';
import type { BenchtopClient } from '../../../src-preload/client';
import type { BackendId, ImageChoice } from '../../../src-preload/contract';
import { humanBytes, relative } from '../format';
import { newRequestId } from '../ids';

interface Props {
  client: BenchtopClient;
  backend: BackendId;
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  invalid: boolean;
  /** The id of the form's error line, referenced when the field is invalid. */
  errorId: string;
}

function describe(i: ImageChoice, now: number): string {
  const parts: string[] = [];
  if (i.sizeBytes !== null) parts.push(humanBytes(i.sizeBytes));
  if (i.createdAt) parts.push(`${i.source === 'used-before' ? 'used' : 'built'} ${relative(now - Date.parse(i.createdAt))} ago`);
  parts.push(i.source === 'used-before' ? (i.kind === 'rootfs' ? 'folder used before' : 'file used before') : 'local image');
  return parts.join(' · ');
}

/** How far a pull has got, from podman's lines: "Copying blob 2 of 5" is more than a spinner. */
function pullStage(lines: string[]): string {
  const blobs = lines.filter((l) => l.startsWith('Copying blob')).length;
  const last = lines.at(-1) ?? 'Starting…';
  return blobs ? `${last.replace(/sha256:[0-9a-f]{12,}/, (h) => `${h.slice(0, 19)}…`)} (${blobs} layer${blobs === 1 ? '' : 's'} so far)` : last;
}

export function ImagePicker({ client, backend, label, placeholder, value, onChange, invalid, errorId }: Props) {
  const [images, setImages] = useState<ImageChoice[] | null>(null);
  const [canPull, setCanPull] = useState(false);
  const [listError, setListError] = useState<string | null>(null);
  const [pullRef, setPullRef] = useState('');
  const [pulling, setPulling] = useState(false);
  const [pullLines, setPullLines] = useState<string[]>([]);
  const [pullError, setPullError] = useState<string | null>(null);
  const [pulled, setPulled] = useState<string | null>(null);
  const activePull = useRef<string | null>(null);
  const inputId = useId();
  const listId = useId();
  const now = Date.now();

  const load = useCallback(
    () =>
      client.call('images.list', { backend }).then(
        (r) => {
          setImages(r.images);
          setCanPull(r.canPull);
          setListError(null);
        },
        (e: Error) => {
          setImages([]);
          setListError(e.message);
        },
      ),
    [client, backend],
  );

  useEffect(() => {
    setImages(null);
    void load();
  }, [load]);

  useEffect(
    () =>
      client.on('image.pullProgress', ({ pullId, line }) => {
        if (pullId === activePull.current) setPullLines((l) => [...l.slice(-49), line]);
      }),
    [client],
  );

  const pull = async () => {
    const ref = pullRef.trim();
    if (!ref || pulling) return;
    const pullId = newRequestId();
    activePull.current = pullId;
    setPulling(true);
    setPullLines([]);
    setPullError(null);
    setPulled(null);
    try {
      const image = await client.call('images.pull', { backend, ref, pullId });
      setPulled(image.ref);
      setPullRef('');
      onChange(image.ref);
      await load();
    } catch (err) {
      setPullError((err as Error).message);
    } finally {
      activePull.current = null;
      setPulling(false);
    }
  };

  return (
    <div className={`field span2 image-picker ${invalid ? 'invalid' : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        data-testid="ws-image"
        {...(invalid ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {})}
      />
      {images === null ? (
        <p className="small muted">Looking for images…</p>
      ) : images.length > 0 ? (
        <div className="image-choices" role="radiogroup" aria-label={`Images ${backend} can use`} id={listId} data-testid="image-choices">
          {images.map((i) => (
            <label key={`${i.source}:${i.ref}`} className={`image-choice ${value === i.ref ? 'selected' : ''}`} data-testid="image-choice">
              <input type="radio" name={`image-${listId}`} value={i.ref} checked={value === i.ref} onChange={() => onChange(i.ref)} />
              <span className="mono image-ref">{i.ref}</span>
              <span className="small muted">{describe(i, now)}</span>
            </label>
          ))}
        </div>
      ) : (
        <p className="small muted" data-testid="image-none">
          {listError ?? (canPull ? 'No local images yet: pull one below, or type a rootfs folder.' : 'No images used before: type a folder or file path.')}
        </p>
      )}
      {canPull && (
        <div className="pull-row">
          <label htmlFor={`${inputId}-pull`} className="small">
            Pull an image (registry name, or <code>oci-archive:/path.tar</code> offline)
          </label>
          <div className="pull-controls">
            <input
              id={`${inputId}-pull`}
              value={pullRef}
              onChange={(e) => setPullRef(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault(); // not the create form's submit
                  void pull();
                }
              }}
              placeholder="docker.io/library/python:3.12 or oci-archive:/data/image.tar"
              className="mono"
              disabled={pulling}
              data-testid="pull-ref"
            />
            <button type="button" onClick={() => void pull()} disabled={pulling || !pullRef.trim()} data-testid="pull-button">
              {pulling ? 'Pulling…' : 'Pull'}
            </button>
          </div>
          {pulling && (
            <div className="pull-progress" data-testid="pull-progress">
              <progress aria-label={`Pulling ${pullRef}`} />
              <span className="small mono" aria-live="polite">
                {pullStage(pullLines)}
              </span>
            </div>
          )}
          {pullError && (
            <p className="error small" role="alert" data-testid="pull-error">
              {pullError}
            </p>
          )}
          {pulled && !pulling && (
            <p className="small ok" role="status" data-testid="pull-done">
              Pulled <span className="mono">{pulled}</span> and chose it.
            </p>
          )}
          {!pulling && pullLines.length > 0 && (
            <details className="pull-log">
              <summary className="small">What the pull said ({pullLines.length} lines)</summary>
              <pre className="small mono" data-testid="pull-log">
                {pullLines.join('\n')}
              </pre>
            </details>
          )}
        </div>
      )}
    </div>
  );
}
