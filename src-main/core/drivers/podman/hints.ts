/**
 * Known podman failures on researchers' machines, turned into one line that
 * says what to do (RUNTIMES.md lists the ones seen on our hosts).
 */
const HINTS: [RegExp, string][] = [
  [/cgroups in hybrid mode not supported|crun: .*cgroup/i, 'crun cannot run on this cgroups v1/hybrid host: install runc (apt install runc) or set BENCHTOP_PODMAN_RUNTIME=runc'],
  [/rlimit type 7|RLIMIT_NOFILE/i, "podman's default open-files limit exceeds this session's hard limit: raise it (ulimit -Hn) or set default_ulimits in containers.conf"],
  [/rlimit type 6|RLIMIT_NPROC/i, "podman's default process limit exceeds this session's hard limit: set default_ulimits nproc in containers.conf"],
  [/keep-id is only supported in rootless mode/i, '--userns=keep-id only works rootless; rootful podman runs without it'],
  [/newuidmap|subuid|subgid|cannot set up namespace using/i, 'rootless podman needs subordinate ids: install uidmap and add ranges for your user to /etc/subuid and /etc/subgid'],
  [/fuse-overlayfs|mount_program/i, 'rootless overlay mounts need fuse-overlayfs (apt install fuse-overlayfs) and a usable /dev/fuse'],
  [/XDG_RUNTIME_DIR|runtime directory/i, 'rootless podman needs a runtime directory: set XDG_RUNTIME_DIR to a folder you own (e.g. /run/user/$(id -u))'],
  // Podman older than 4.1 has no CDI: it takes --device nvidia.com/gpu=all for a path to stat.
  [/\bstat [\w.-]+\/gpu=\S*: no such file or directory/, 'this podman is too old for CDI devices (--device nvidia.com/gpu=…): GPU workspaces need podman 4.1 or newer'],
  // The device-resolution failures themselves, not any message that mentions "nvidia" or "cdi"
  // (an image name such as nvidia/cuda, a path such as /home/cdi-lab): podman's and the CDI
  // library's "unresolvable CDI devices" / "setting up CDI devices" / "injecting CDI devices",
  // the NVIDIA hooks and nvidia-container-cli failing, and docker-style "could not select device driver".
  [
    /unresolvable CDI devices?|(?:setting up|injecting|inject) CDI devices|CDI host device|error (?:executing|running) hook\b[^\n]*nvidia-(?:container-runtime-hook|cdi-hook|ctk)|nvidia-container-cli: \w+ error|could not select device driver "[^"]*" with capabilities: \[\[gpu\]\]/i,
    'GPU devices are not configured for podman: generate a CDI spec (nvidia-ctk cdi generate)',
  ],
];

/** A hint for a podman error, or null when the error is not one we know. */
export function podmanHint(stderr: string): string | null {
  for (const [re, hint] of HINTS) if (re.test(stderr)) return hint;
  return null;
}
