/*
 * Opening the connection to the host (see transport.h). musl ships no
 * <linux/vm_sockets.h>, so the vsock address is declared here from the
 * kernel's stable ABI.
 */
#define _GNU_SOURCE /* accept4 */
#include "transport.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define VMADDR_CID_ANY 0xffffffffU

struct sockaddr_vm_abi {
  sa_family_t svm_family;
  unsigned short svm_reserved1;
  unsigned int svm_port;
  unsigned int svm_cid;
  unsigned char svm_flags;
  unsigned char svm_zero[3];
};

int port_open(const char *name) {
  DIR *d = opendir("/sys/class/virtio-ports");
  if (!d) return -1;
  struct dirent *e;
  int fd = -1;
  while (fd < 0 && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[512], found[256];
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
    int nf = open(path, O_RDONLY | O_CLOEXEC);
    if (nf < 0) continue;
    ssize_t n = read(nf, found, sizeof found - 1);
    close(nf);
    if (n <= 0) continue;
    found[n] = '\0';
    found[strcspn(found, "\n")] = '\0';
    if (strcmp(found, name) != 0) continue;
    snprintf(path, sizeof path, "/dev/%s", e->d_name);
    fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) diag("cannot open %s (port %s): %s", path, name, strerror(errno));
  }
  closedir(d);
  return fd;
}

int vsock_listen(unsigned port) {
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    diag("vsock: %s", strerror(errno));
    return -1;
  }
  struct sockaddr_vm_abi a = {.svm_family = AF_VSOCK, .svm_port = port, .svm_cid = VMADDR_CID_ANY};
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 1) != 0) {
    diag("vsock port %u: %s", port, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

int vsock_accept(int listener) {
  return accept4(listener, NULL, NULL, SOCK_CLOEXEC); /* EINTR: the caller reaps and retries */
}
