// A tiny app for testing the Containers platform, run with `node -e` in moltlab's node base image:
// HTTP and a WebSocket echo on $PORT (default 8080), and what the sandbox looks like from inside.
//   GET /info        machine, cgroup memory limit, /dev/fuse, effective capabilities, SIGTERMs seen
//   GET /env/NAME    the value of an environment variable
//   PUT /file, GET /file   write / read a file on the container's own disk
//   GET /allocate    answers, then allocates memory until the memory cgroup's OOM killer ends it
//   any upgrade      WebSocket: each text message comes back as "echo: <text>"
// SIGTERM: exit 42, or with IGNORE_SIGTERM=1 count it and keep running.
const http = require("node:http");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");

const FILE = "/var/tmp/probe-file";
let sigterms = 0;
const read = (path) => {
  try {
    return fs.readFileSync(path, "utf8").trim();
  } catch {
    return null;
  }
};

process.on("SIGTERM", () => {
  sigterms++;
  if (process.env.IGNORE_SIGTERM === "1") return console.log("SIGTERM ignored");
  console.log("SIGTERM: exiting 42");
  process.exit(42);
});

const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://probe");
  const json = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === "/info") {
    return json(200, {
      machine: os.machine(),
      memoryLimit: read("/sys/fs/cgroup/memory/memory.limit_in_bytes") ?? read("/sys/fs/cgroup/memory.max"),
      fuse: fs.existsSync("/dev/fuse"),
      capEff: /CapEff:\s*(\w+)/.exec(read("/proc/self/status") ?? "")?.[1] ?? null,
      sigterms,
    });
  }
  if (url.pathname === "/allocate") {
    // Answered first (allocation starts once the answer is handed to the OS), so that the
    // request that asks for it completes; the process dies after.
    const held = [];
    res.once("finish", () =>
      setImmediate(() => {
        for (;;) held.push(Buffer.alloc(16 << 20, 1));
      }),
    );
    return json(202, { allocating: true });
  }
  if (url.pathname.startsWith("/env/")) return json(200, { value: process.env[url.pathname.slice(5)] ?? null });
  if (url.pathname === "/file" && req.method === "PUT") {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    return req.on("end", () => {
      fs.writeFileSync(FILE, Buffer.concat(chunks));
      json(200, { written: true });
    });
  }
  if (url.pathname === "/file") {
    const content = read(FILE);
    return content === null ? json(404, { content: null }) : json(200, { content });
  }
  json(200, { ok: true });
});

server.on("upgrade", (req, socket) => {
  const accept = crypto.createHash("sha1").update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const frame = (opcode, payload) => {
    const header =
      payload.length < 126 ? Buffer.from([0x80 | opcode, payload.length]) : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 255]);
    socket.write(Buffer.concat([header, payload]));
  };
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const opcode = buffered[0] & 15;
      let length = buffered[1] & 127;
      let offset = 2;
      if (length === 126) {
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (buffered[1] & 128) !== 0;
      const mask = masked ? buffered.subarray(offset, offset + 4) : null;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
      buffered = buffered.subarray(offset + length);
      if (opcode === 1) frame(1, Buffer.from(`echo: ${payload.toString("utf8")}`));
      else if (opcode === 9) frame(10, payload);
      else if (opcode === 8) {
        frame(8, payload.subarray(0, 2));
        socket.end();
        return;
      }
    }
  });
  socket.on("error", () => {});
});

server.listen(Number(process.env.PORT || 8080), "0.0.0.0", () => console.log("probe listening"));
