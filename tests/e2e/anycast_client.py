#!/usr/bin/env python3
"""tests/e2e/anycast_client.py - the client of the anycast lab
(test_anycast_cluster.sh): which node answers each flow, and a steady
request stream whose every request is logged.  Nodes are told apart by the
SOFTWARE attribute of their answers (each stunringd has its own --software).
Every answer must come from the address asked and answer our transaction.

  spread SERVER PORT FLOWS ROUNDS
      FLOWS sockets (FLOWS source ports), ROUNDS requests each, one after
      another (a lost one is resent up to 3 times).  Prints
      "nodes=A:n,B:n,... sticky=S unanswered=U flows=F": how many flows each
      node answered, how many flows got every answer from one node.
  stream OUT SECONDS RATE SOCKETS SERVER:PORT...
      RATE requests/s for SECONDS, round robin over SOCKETS sockets per
      server.  Writes one line per request to OUT: "SEND_TIME FAMILY NODE"
      (CLOCK_REALTIME seconds; NODE is LOST without an answer in 1 s).
      OUT.started appears when the first request is sent.
  analyze OUT FROM TO UNTIL
      Of the stream in OUT: "total=T lost=L lost_outside=X before=A,B,C
      after=N nodes_after=A,B": lost_outside counts the losses sent before
      FROM or after TO, before names the nodes that answered requests sent
      in the second before FROM, after and nodes_after the answers to
      requests sent between TO and UNTIL.
"""
import os, select, socket, struct, sys, time

COOKIE = 0x2112A442
SOFTWARE = 0x8022


def request():
    tid = os.urandom(12)
    return struct.pack("!HHI", 0x0001, 0, COOKIE) + tid, tid


def answer_node(data, tid):
    """The SOFTWARE of a Binding success answering tid, else None."""
    if len(data) < 20:
        return None
    mtype, mlen, cookie = struct.unpack("!HHI", data[:8])
    if mtype != 0x0101 or cookie != COOKIE or data[8:20] != tid or 20 + mlen != len(data):
        return None
    off = 20
    while off + 4 <= len(data):
        atype, alen = struct.unpack("!HH", data[off:off + 4])
        if atype == SOFTWARE:
            return data[off + 4:off + 4 + alen].decode(errors="replace").strip()
        off += 4 + ((alen + 3) & ~3)
    return "?"


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def split_server(s):
    host, port = s.rsplit(":", 1)
    return host.strip("[]"), int(port)


def ask(sock, addr, timeout):
    """One request, resent up to 3 times: the node's name or None."""
    for _ in range(4):
        req, tid = request()
        sock.sendto(req, addr)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0 or not select.select([sock], [], [], left)[0]:
                break
            data, src = sock.recvfrom(2048)
            if src[0] != addr[0] or src[1] != addr[1]:
                print(f"# answer from {src[0]}:{src[1]}, not {addr[0]}:{addr[1]}", file=sys.stderr)
                continue
            node = answer_node(data, tid)
            if node:
                return node
    return None


def spread(server, port, flows, rounds):
    addr = (server, int(port))
    counts, sticky, unanswered = {}, 0, 0
    socks = []
    for _ in range(int(flows)):
        s = socket.socket(family(server), socket.SOCK_DGRAM)
        s.bind(("::" if family(server) == socket.AF_INET6 else "0.0.0.0", 0))
        socks.append(s)
    for s in socks:
        seen = [ask(s, addr, 0.3) for _ in range(int(rounds))]
        if None in seen:
            unanswered += 1
            continue
        if len(set(seen)) == 1:
            sticky += 1
            counts[seen[0]] = counts.get(seen[0], 0) + 1
    nodes = ",".join(f"{k}:{v}" for k, v in sorted(counts.items()))
    print(f"nodes={nodes} sticky={sticky} unanswered={unanswered} flows={flows}")


def stream(out, seconds, rate, per_server, servers):
    socks = []
    for srv in servers:
        host, port = split_server(srv)
        for _ in range(int(per_server)):
            s = socket.socket(family(host), socket.SOCK_DGRAM)
            s.setblocking(False)
            socks.append((s, (host, port), "v6" if ":" in host else "v4"))
    pending = {}	# tid -> (send time, family, send monotonic)
    log = []
    gap = 1.0 / float(rate)
    start = time.monotonic()
    end = start + float(seconds)
    open(out + ".started", "w").close()	# the test waits for this
    n = 0
    while True:
        now = time.monotonic()
        if now < end and now >= start + n * gap:
            s, addr, fam = socks[n % len(socks)]
            req, tid = request()
            try:
                s.sendto(req, addr)
            except OSError:
                pass	# no route, or an ICMP error from before: lost
            pending[tid] = (time.time(), fam, now)
            n += 1
            continue
        if now >= end + 1.0 and not pending:
            break
        if now >= end + 1.5:
            break
        ready = select.select([x[0] for x in socks], [], [], 0.002)[0]
        for s in ready:
            while True:
                try:
                    data, _src = s.recvfrom(2048)
                except (BlockingIOError, ConnectionRefusedError, OSError):
                    break
                tid = data[8:20]
                if tid in pending:
                    node = answer_node(data, tid)
                    if node:
                        t, fam, _m = pending.pop(tid)
                        log.append((t, fam, node))
        for tid, (t, fam, m) in list(pending.items()):
            if now - m > 1.0:
                del pending[tid]
                log.append((t, fam, "LOST"))
    for tid, (t, fam, m) in pending.items():
        log.append((t, fam, "LOST"))
    with open(out, "w") as f:
        for t, fam, node in sorted(log):
            f.write(f"{t:.6f} {fam} {node}\n")


def analyze(out, t_from, t_to, t_until):
    t_from, t_to, t_until = float(t_from), float(t_to), float(t_until)
    lost = outside = after = 0
    nodes, before = set(), set()
    total = 0
    with open(out) as f:
        for line in f:
            t, fam, node = line.split()
            t = float(t)
            total += 1
            if node == "LOST":
                lost += 1
                if t < t_from or t > t_to:
                    outside += 1
            elif t_from - 1.0 <= t < t_from:
                before.add(node)
            if node != "LOST" and t_to < t < t_until:
                after += 1
                nodes.add(node)
    print(f"total={total} lost={lost} lost_outside={outside} "
          f"before={','.join(sorted(before))} after={after} "
          f"nodes_after={','.join(sorted(nodes))}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "spread":
        spread(*args)
    elif cmd == "stream":
        stream(args[0], args[1], args[2], args[3], args[4:])
    elif cmd == "analyze":
        analyze(*args)
    else:
        sys.exit(f"unknown command {cmd}")
