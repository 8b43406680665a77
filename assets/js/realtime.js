// The chat WebSocket (docs/protocol.md): authenticates, reconnects with jittered exponential
// backoff, reports its state, and lets the app re-join with the last seq it saw.

const closeReasons = {
  4001: 'signed out',
  4008: 'too slow',
};

export class Realtime extends EventTarget {
  constructor(url, token) {
    super();
    this.url = url;
    this.token = token;
    this.socket = null;
    this.attempt = 0;
    this.stopped = false;
    this.state = 'connecting';
    this.timer = null;
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, 'bye');
    this.setState('offline');
  }

  send(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN && this.state === 'open') {
      this.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...detail } }));
  }

  open() {
    clearTimeout(this.timer);
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token: this.token }));
    });
    socket.addEventListener('message', (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame.type === 'connected') {
        this.attempt = 0;
        this.setState('open');
      }
      this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (event.code === 4001) {
        this.setState('offline', { reason: closeReasons[4001] });
        this.dispatchEvent(new CustomEvent('unauthorized'));
        return;
      }
      this.retry();
    });
  }

  // Full jitter: a random wait up to min(15 s, 0.5 s * 2^attempt), so that a restarted server
  // is not hit by every client at the same instant.
  retry() {
    this.attempt += 1;
    const ceiling = Math.min(15000, 500 * 2 ** Math.min(this.attempt, 10));
    const wait = Math.round(250 + Math.random() * ceiling);
    this.setState('reconnecting', { attempt: this.attempt, wait });
    this.timer = setTimeout(() => this.open(), wait);
  }
}
