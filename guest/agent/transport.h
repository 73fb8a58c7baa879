/*
 * The byte streams the agent can serve the host over: a virtio-serial port
 * found by name (QEMU), an AF_VSOCK listener (Firecracker), or stdin/stdout
 * (tests).
 */
#ifndef BENCHTOP_TRANSPORT_H
#define BENCHTOP_TRANSPORT_H

/* /dev/<entry> of the virtio port whose /sys/class/virtio-ports/<entry>/name
 * is name, opened read-write: its fd, or -1 (diagnosed once per failure kind). */
int port_open(const char *name);
/* A listening AF_VSOCK socket on port, or -1 (diagnosed). */
int vsock_listen(unsigned port);
/* The next host connection on a vsock listener, or -1 (errno; EINTR when a child ended). */
int vsock_accept(int listener);

#endif
