#!/usr/bin/env python3
"""Writes the seed corpora of test/fuzz/ (run from anywhere; the files are committed).

Each seed is a real input of its target's format (see the comment at the top of
test/fuzz/<target>.cpp): valid requests, frames, tokens, JSON and a few edge cases.
Needs python3-cryptography for the token seeds (Ed25519, the harness's key).
"""
import base64
import json
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(here, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- ws_frame: byte 0 role (bit 0: client) + chunk seed, byte 1 limit selector, then frames.
def frame(op, payload=b"", fin=True, mask=b"\x37\xfa\x21\x3d", rsv=0):
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | rsv | op
    n = len(payload)
    masked = mask is not None
    m = 0x80 if masked else 0
    if n < 126:
        head = bytes([b0, m | n])
    elif n <= 0xFFFF:
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if masked:
        payload = bytes(c ^ mask[i % 4] for i, c in enumerate(payload))
        head += mask
    return head + payload


server, client = 0x00, 0x01
limit_64k = 6
write("ws_frame", "text", bytes([server | 0x10, limit_64k]) + frame(1, '{"type":"ping"}'))
write("ws_frame", "fragmented_with_ping",
      bytes([server | 0x22, limit_64k]) + frame(1, "Hel", fin=False) + frame(9, "p") +
      frame(0, "lo ", fin=False) + frame(0, "wörld"))
write("ws_frame", "utf8_split_across_fragments",
      bytes([server | 0x04, limit_64k]) + frame(1, b"\xce", fin=False) + frame(0, b"\xba\xe1\xbd\xb9"))
write("ws_frame", "close_with_reason",
      bytes([server, limit_64k]) + frame(8, struct.pack(">H", 1000) + "bye".encode()))
write("ws_frame", "ping_125", bytes([server, limit_64k]) + frame(9, "x" * 125) + frame(10, "y"))
write("ws_frame", "len16", bytes([server | 0x08, limit_64k]) + frame(1, "a" * 300))
write("ws_frame", "len64_too_big", bytes([server, 2]) + frame(1, "b" * 70000)[:40])
write("ws_frame", "server_frames_unmasked",
      bytes([client | 0x06, limit_64k]) + frame(1, '{"type":"pong"}', mask=None) +
      frame(8, struct.pack(">H", 4001), mask=None))
write("ws_frame", "reserved_bit", bytes([server, limit_64k]) + frame(1, "x", rsv=0x40))
write("ws_frame", "invalid_close_code", bytes([server, limit_64k]) + frame(8, struct.pack(">H", 1005)))


# --- http_request: raw request bytes on one connection.
def req(method, target, headers=(), body=b""):
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"] + list(headers)
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


write("http_request", "get_rooms_query", req("GET", "/rooms?limit=20&q=caf%C3%A9+au+lait&before=9"))
write("http_request", "post_room_json",
      req("POST", "/rooms", ["Content-Type: application/json", "Authorization: Bearer a.b.c",
                             "X-Request-ID: abc-123"], '{"name":"general","is_private":false}'))
write("http_request", "pipelined",
      req("GET", "/rooms/42") + req("DELETE", "/rooms/1/members/2") + req("GET", "/users/ann"))
write("http_request", "chunked_put",
      b"PUT /profile HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      b"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n"
      b"7\r\n{\"bio\":\r\n5\r\n\"hi\"}\r\n0\r\n\r\n")
write("http_request", "websocket_upgrade",
      req("GET", "/ws?x=1", ["Upgrade: websocket", "Connection: keep-alive, Upgrade",
                             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                             "Sec-WebSocket-Protocol: chat, parley.v1", "Origin: http://localhost:8080"]))
write("http_request", "method_not_allowed", req("PATCH", "/rooms/7") + req("BREW", "/files/a/b/c"))
write("http_request", "http10_head", b"HEAD /files/index.html HTTP/1.0\r\n\r\n")
write("http_request", "body_too_large", req("POST", "/rooms", ["Content-Length: 999999"]))
write("http_request", "malformed", b"GET /rooms HTTP/1.1\r\nHost x\r\n\r\n")

# --- auth_token: byte 0 mode, then the input.
try:
    from cryptography.hazmat.primitives import serialization

    pem = (b"-----BEGIN PRIVATE KEY-----\n"
           b"MC4CAQAwBQYDK2VwBCIEIHahY/t24WIV5uELmKaI4H1Pflc7GNt9PQmxGbrMBbWR\n"
           b"-----END PRIVATE KEY-----\n")
    key = serialization.load_pem_private_key(pem, password=None)
    pub_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    import hashlib
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    kid = hashlib.sha256(der).hexdigest()[:16]

    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

    def compact(o):
        return json.dumps(o, separators=(",", ":"), ensure_ascii=False).encode()

    now = 1767225600

    def token(user_id, username, admin, iat):
        header = {"alg": "EdDSA", "typ": "JWT", "kid": kid}
        claims = {"user_id": user_id, "username": username, "is_admin": admin, "iat": iat,
                  "exp": iat + 86400, "iss": "parley-auth", "aud": "parley", "sub": str(user_id)}
        signing = b64(compact(header)) + "." + b64(compact(claims))
        return signing + "." + b64(key.sign(signing.encode()))

    write("auth_token", "valid_admin", b"\x00" + token(1, "admin", True, now - 60).encode())
    write("auth_token", "valid_user", b"\x00" + token(7, "ann", False, now - 3600).encode())
    write("auth_token", "expired", b"\x00" + token(7, "ann", False, now - 200000).encode())
    write("auth_token", "alg_none",
          b"\x00" + (b64(b'{"alg":"none","typ":"JWT"}') + "." +
                     b64(b'{"user_id":1,"username":"admin"}') + ".").encode())
    write("auth_token", "claims_good",
          b"\x01" + compact({"alg": "EdDSA", "typ": "JWT", "kid": kid}) + b"\n" +
          compact({"user_id": 3, "username": "bob", "is_admin": False, "iat": now, "exp": now + 60,
                   "iss": "parley-auth", "aud": ["other", "parley"], "sub": "3", "nbf": now}))
    write("auth_token", "claims_overflow",
          b"\x01" + compact({"alg": "EdDSA", "kid": kid}) + b"\n" +
          compact({"user_id": 3, "username": "bob", "is_admin": False, "iat": -9223372036854775808,
                   "exp": 9223372036854775807, "iss": "parley-auth", "aud": "parley", "sub": "3"}))
    write("auth_token", "public_pem", b"\x02" + pub_pem)
    write("auth_token", "two_pems", b"\x02" + pub_pem + b"\n" + pub_pem.replace(b"\n", b"\\n"))
    write("auth_token", "base64", b"\x03" + b"SGVsbG8_-w")
except ImportError:
    print("python3-cryptography missing: auth_token seeds not written")

# --- json_read: byte 0 struct (0 register, 1 create_room, 2 stats batch, 3 everything).
write("json_read", "register", b"\x00" + b'{"username":"ann","email":"a@example.com","password":"pw12345678"}')
write("json_read", "create_room", b"\x01" + '{"name":"café","description":null,"is_private":true}'.encode())
write("json_read", "batch",
      b"\x02" + b'{"increments":[{"user_id":7,"messages_sent":3},{"user_id":8,"last_seen":true,"rooms_created":1}]}')
write("json_read", "everything",
      b"\x03" + json.dumps({"flag": True, "i8": -128, "u8": 255, "i16": 32767, "u32": 4294967295,
                            "i64": -9223372036854775808, "u64": 18446744073709551615, "real": 1.5e300,
                            "text": "\u00e9\ud83d\ude00", "maybe": None, "list": ["a", ""],
                            "grid": [[True], []], "child": {"name": "c", "numbers": [1, -2]},
                            "children": [{"name": "x"}], "anything": {"k": [1, 2.5, None]}}).encode())
write("json_read", "wrong_type", b"\x03" + b'{"flag":1}')
write("json_read", "deep", b"\x02" + b"[" * 70 + b"]" * 70)

# --- chat_frames: byte 0 flags (bit 0 auth, bit 1 observer, bits 2-3 user), '\n'-separated frames.
def lines(*frames):
    return "\n".join(json.dumps(f, separators=(",", ":"), ensure_ascii=False) if not isinstance(f, str) else f
                     for f in frames).encode()


write("chat_frames", "join_message_leave",
      bytes([0b0111]) + lines({"type": "join", "room_id": 1},
                              {"type": "message", "room_id": 1, "content": "hello wörld", "client_id": "c1"},
                              {"type": "message", "room_id": 1, "content": "hello wörld", "client_id": "c1"},
                              {"type": "typing", "room_id": 1, "is_typing": True},
                              {"type": "typing", "room_id": 1, "is_typing": False},
                              {"type": "leave", "room_id": 1}, {"type": "ping"}))
write("chat_frames", "replay",
      bytes([0b0011]) + lines({"type": "join", "room_id": 1, "last_seq": 0},
                              {"type": "join", "room_id": 2}, {"type": "join", "room_id": 99}))
write("chat_frames", "bad_frames",
      bytes([0b0001]) + lines("not json", "[1,2]", {"type": 5}, {"type": "nope" * 30},
                              {"type": "message", "room_id": 1.5, "content": "x", "client_id": "a"},
                              {"type": "message", "room_id": 1, "content": " ", "client_id": ""},
                              {"type": "auth", "token": "x"}, {"type": "typing", "room_id": "1"}))
write("chat_frames", "unauthenticated", bytes([0b0000]) + lines({"type": "join", "room_id": 1}))
write("chat_frames", "bad_token", bytes([0b0000]) + lines({"type": "auth", "token": "a.b.c"}))
print("seeds written under", here)
