// SPDX-License-Identifier: GPL-2.0-only
#ifdef STALL_LAB
/*
 * TCP loads: a stream (throughput, gaps between deliveries), a
 * request/response loop (round-trip latency) and a connect loop
 * (new-connection latency), the three ways the 2024 report's users felt a
 * stalled CPU. Over loopback by default; with peer=ADDR:ns=NETNS the server
 * listens in another network namespace, so that the traffic crosses real
 * NICs (under QEMU, say, two virtio-net devices joined by a hub) and
 * their interrupts exist. Every socket has 200 ms send and receive
 * timeouts, so each loop sees the stop flag within that time.
 */
#else
/*
 * A TCP stream over loopback, as iperf3 measured the stall in the 2024
 * report: the receiver records the bytes each window moved and the gap
 * between deliveries. Loopback's receive path runs in softirq on the
 * sending CPU. Every socket has 200 ms send and receive timeouts, so each
 * loop sees the stop flag within that time.
 */
#endif
#define _GNU_SOURCE
#include <errno.h>
#ifdef STALL_LAB
#include <fcntl.h>
#include <sched.h>
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/types.h>
#ifdef STALL_LAB
#include <dirent.h>
#include <limits.h>
#endif

#include "stall_load.h"
#include "stall_probe.h"

#define NET_TIMEOUT_US	200000

enum { NET_LISTEN, NET_CLIENT, NET_SERVER };

#ifdef STALL_LAB
#define NET_BACKLOG	4096
#endif

static int net_timeouts(int fd)
{
	struct timeval tv = { .tv_usec = NET_TIMEOUT_US };
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

#ifdef STALL_LAB
/*
 * A socket made in network namespace @ns: a socket keeps the namespace it
 * was created in, so this thread only visits @ns for the socket() call.
 */
static int net_socket_in(const char *ns)
{
	int self, other, fd;

	if (!ns[0])
		return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	other = open(ns, O_RDONLY | O_CLOEXEC);
	fd = -1;
	if (self >= 0 && other >= 0 && !setns(other, CLONE_NEWNET)) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (setns(self, CLONE_NEWNET)) {
			close(fd);
			fd = -1;
		}
	}
	if (self >= 0)
		close(self);
	if (other >= 0)
		close(other);
	return fd;
}

/*
 * A listener on an ephemeral port, on loopback or (with a peer) on every
 * address of its namespace; @addr gets the address clients connect to.
 */
static int net_listen(struct stall_load *l, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = net_socket_in(l->ns);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(l->peer[0] ? INADDR_ANY : INADDR_LOOPBACK);
	/*
	 * A deep accept queue: the connect loop shares the test CPU with the
	 * accept loop and opens about 25,000 connections a second; at 128 the
	 * queue overflowed before the acceptor ran, a SYN was dropped, and one
	 * connect waited a second for its retransmit: the whole baseline.
	 */
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(fd, NET_BACKLOG) ||
	    getsockname(fd, (struct sockaddr *)addr, &len) || net_timeouts(fd)) {
		snprintf(l->err, sizeof(l->err), "listener%s%s: %s", l->ns[0] ? " in " : "",
			 l->ns, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (l->peer[0] && inet_pton(AF_INET, l->peer, &addr->sin_addr) != 1) {
		snprintf(l->err, sizeof(l->err), "peer address '%s' is not IPv4", l->peer);
		close(fd);
		return -1;
	}
	return fd;
}
#else
/* A loopback listener on an ephemeral port; @addr gets its address. */
static int net_listen(struct stall_load *l, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)addr, &len) || net_timeouts(fd)) {
		snprintf(l->err, sizeof(l->err), "listener: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
#endif

static int net_connect(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) || net_timeouts(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A listener, and a pair of sockets connected through it. */
#ifdef STALL_LAB
static int net_setup(struct stall_load *l, bool pair)
#else
static int net_setup_pair(struct stall_load *l)
#endif
{
	struct sockaddr_in *addr = calloc(1, sizeof(*addr));

	l->priv = addr;
	if (!addr)
		return -ENOMEM;
	l->fd[NET_LISTEN] = net_listen(l, addr);
	if (l->fd[NET_LISTEN] < 0)
		return -EIO;
#ifdef STALL_LAB
	if (!pair)
		return 0;
#endif
	l->fd[NET_CLIENT] = net_connect(addr);
	l->fd[NET_SERVER] = accept4(l->fd[NET_LISTEN], NULL, NULL, SOCK_CLOEXEC);
	if (l->fd[NET_CLIENT] < 0 || l->fd[NET_SERVER] < 0 || net_timeouts(l->fd[NET_SERVER])) {
		snprintf(l->err, sizeof(l->err), "loopback connection: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

#ifdef STALL_LAB
static int net_setup_pair(struct stall_load *l)
{
	return net_setup(l, true);
}

static int net_setup_listener(struct stall_load *l)
{
	return net_setup(l, false);
}
#endif

static void net_teardown(struct stall_load *l)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (l->fd[i] >= 0)
			close(l->fd[i]);
		l->fd[i] = -1;
	}
	free(l->priv);
	l->priv = NULL;
}

/* Move exactly @len bytes unless stopping; returns false when stopped or broken. */
static bool net_xfer(struct stall_load *l, int fd, char *buf, size_t len, bool out)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		if (stall_load_stopping(l))
			return false;
		n = out ? send(fd, buf + done, len - done, MSG_NOSIGNAL) :
			  recv(fd, buf + done, len - done, 0);
		if (n > 0)
			done += n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return false;
	}
	return true;
}

static void *net_stream_send(void *arg)
{
	struct stall_load *l = arg;
	char *buf = calloc(1, l->size);

	while (buf && net_xfer(l, l->fd[NET_CLIENT], buf, l->size, true))
		;
	free(buf);
	return NULL;
}

/* Records each delivery and the gap since the previous one. */
static void *net_stream_recv(void *arg)
{
	struct stall_load *l = arg;
	char *buf = malloc(l->size);
	u64 prev = stall_now_ns(), now;
	ssize_t n;

	while (buf && !stall_load_stopping(l)) {
		n = recv(l->fd[NET_SERVER], buf, l->size, 0);
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR))
				break;
			continue;
		}
		now = stall_now_ns();
		stall_load_record(l, now, now - prev, n);
		prev = now;
	}
	free(buf);
	return NULL;
}

#ifdef STALL_LAB
static void *net_rr_server(void *arg)
{
	struct stall_load *l = arg;
	char *buf = calloc(1, l->size);

	while (buf && net_xfer(l, l->fd[NET_SERVER], buf, l->size, false) &&
	       net_xfer(l, l->fd[NET_SERVER], buf, l->size, true))
		;
	free(buf);
	return NULL;
}

static void *net_rr_client(void *arg)
{
	struct stall_load *l = arg;
	char *buf = calloc(1, l->size);
	u64 t0, now;

	while (buf) {
		t0 = stall_now_ns();
		if (!net_xfer(l, l->fd[NET_CLIENT], buf, l->size, true) ||
		    !net_xfer(l, l->fd[NET_CLIENT], buf, l->size, false))
			break;
		now = stall_now_ns();
		stall_load_record(l, now, now - t0, 1);
	}
	free(buf);
	return NULL;
}

static void *net_accept_loop(void *arg)
{
	struct stall_load *l = arg;
	int fd;

	while (!stall_load_stopping(l)) {
		fd = accept4(l->fd[NET_LISTEN], NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/* Reset on close: no TIME_WAIT, so the loop never runs out of ports. */
static void *net_connect_loop(void *arg)
{
	struct stall_load *l = arg;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	u64 t0, now;
	int fd;

	while (!stall_load_stopping(l)) {
		t0 = stall_now_ns();
		fd = net_connect(l->priv);
		if (fd < 0) {
			stall_sleep_ns(1000000);
			continue;
		}
		now = stall_now_ns();
		stall_load_record(l, now, now - t0, 1);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	return NULL;
}

/*
 * The interrupts of the virtio NICs in this namespace: with a peer in
 * another namespace, the traffic crosses them. Loopback has none.
 */
static int net_find_irqs(struct stall_load *l)
{
	char path[PATH_MAX], dev[PATH_MAX], *base;
	struct dirent *d;
	DIR *dir;

	if (!l->peer[0]) {
		snprintf(l->err, sizeof(l->err), "loopback traffic has no device interrupt");
		return -ENODEV;
	}
	dir = opendir("/sys/class/net");
	while (dir && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/device", d->d_name);
		if (d->d_name[0] == '.' || !realpath(path, dev))
			continue;
		base = strrchr(dev, '/');
		if (base && !strncmp(base + 1, "virtio", 6))
			stall_load_virtio_irqs(l, base + 1);
	}
	if (dir)
		closedir(dir);
	if (l->nr_irqs)
		return 0;
	snprintf(l->err, sizeof(l->err), "no virtio NIC interrupts in this namespace");
	return -ENODEV;
}
#endif

const struct stall_load_kind stall_load_net_kinds[] = {
	{
		.name = "tcp-stream",
#ifdef STALL_LAB
		.help = "TCP stream (msg=9001B; peer=ADDR:ns=NETNS to cross NICs)",
#else
		.help = "TCP stream over loopback, 9001-byte messages",
#endif
		.unit = "B",
		.nr_threads = 2,
		.setup = net_setup_pair,
		.thread = { net_stream_send, net_stream_recv },
		.teardown = net_teardown,
#ifdef STALL_LAB
		.find_irqs = net_find_irqs,
#endif
	},
#ifdef STALL_LAB
	{
		.name = "tcp-rr",
		.help = "TCP request/response (msg=64B; peer=, ns= likewise)",
		.unit = "op",
		.nr_threads = 2,
		.setup = net_setup_pair,
		.thread = { net_rr_server, net_rr_client },
		.teardown = net_teardown,
		.find_irqs = net_find_irqs,
	},
	{
		.name = "tcp-connect",
		.help = "TCP connect loop (peer=, ns= likewise)",
		.unit = "op",
		.nr_threads = 2,
		.setup = net_setup_listener,
		.thread = { net_accept_loop, net_connect_loop },
		.teardown = net_teardown,
		.find_irqs = net_find_irqs,
	},
#endif
};
