/**
 * Stage 2 of a Benchtop guest: /benchtop/init on the root disk, run by stage
 * 1's switch_root as PID 1. It mounts what every sandbox expects, applies
 * what the host put on the kernel command line (benchtop.hostname=,
 * benchtop.project=9p or copied, benchtop.network=full, benchtop.agent=
 * vsock:PORT under Firecracker), configures the NIC QEMU's user network
 * expects, and becomes the guest agent: on QEMU's virtio-serial port, or on
 * the vsock port the line names. POSIX sh: it runs under
 * whatever /bin/sh the image has (busybox ash, dash).
 */

export const STAGE2_INIT = `#!/bin/sh
# Benchtop stage 2 (PID 1): mounts, hostname, project folder, network, then the agent.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "benchtop stage 2: $*" >/dev/console; }
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
project=; network=; agent=
for word in $(cat /proc/cmdline); do
  case "$word" in
    benchtop.hostname=*) hostname "\${word#*=}" ;;
    benchtop.project=*) project="\${word#*=}" ;;
    benchtop.network=*) network="\${word#*=}" ;;
    benchtop.agent=*) agent="\${word#*=}" ;;
  esac
done
# copied: the host copies the project in through the agent (Firecracker has no 9p).
[ "$project" = copied ] && mkdir -p /workspace
if [ "$project" = 9p ]; then
  mkdir -p /workspace
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 workspace /workspace || say "cannot mount the project folder"
fi
if command -v ip >/dev/null; then
  ip link set lo up
  if [ -e /sys/class/net/eth0 ]; then
    # QEMU's user network: the guest is 10.0.2.15, the gateway 10.0.2.2, DNS 10.0.2.3.
    ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && ip route add default via 10.0.2.2 || say "cannot configure eth0"
    [ "$network" = full ] && echo "nameserver 10.0.2.3" >/etc/resolv.conf
  fi
else
  say "no ip command: network left down"
fi
case "$agent" in
  vsock:*) exec /benchtop/agent --vsock "\${agent#vsock:}" --init ;;
esac
exec /benchtop/agent --port benchtop.agent --init
`;
