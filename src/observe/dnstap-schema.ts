// The dnstap schema (dnstap.proto, proto2, package `dnstap`), written here from the published
// field numbers (standards digest 10) and parsed at load time by protobufjs: nothing is
// generated or committed. `encodeDnstap` and `decodeDnstap` are the only ways in and out.

import protobuf from 'protobufjs';

const DNSTAP_PROTO = `
syntax = "proto2";
package dnstap;

message Dnstap {
  optional bytes identity = 1;
  optional bytes version = 2;
  optional bytes extra = 3;
  enum Type {
    MESSAGE = 1;
  }
  required Type type = 15;
  optional Message message = 14;
}

enum SocketFamily {
  INET = 1;
  INET6 = 2;
}

enum SocketProtocol {
  UDP = 1;
  TCP = 2;
  DOT = 3;
  DOH = 4;
  DNSCryptUDP = 5;
  DNSCryptTCP = 6;
  DOQ = 7;
}

enum HttpProtocol {
  HTTP1 = 1;
  HTTP2 = 2;
  HTTP3 = 3;
}

message Policy {
  enum Match {
    QNAME = 1;
    CLIENT_IP = 2;
    RESPONSE_IP = 3;
    NS_NAME = 4;
    NS_IP = 5;
  }
  enum Action {
    NXDOMAIN = 1;
    NODATA = 2;
    PASS = 3;
    DROP = 4;
    TRUNCATE = 5;
    LOCAL_DATA = 6;
  }
  optional string type = 1;
  optional bytes rule = 2;
  optional Action action = 3;
  optional Match match = 4;
  optional bytes value = 5;
}

message Message {
  enum Type {
    AUTH_QUERY = 1;
    AUTH_RESPONSE = 2;
    RESOLVER_QUERY = 3;
    RESOLVER_RESPONSE = 4;
    CLIENT_QUERY = 5;
    CLIENT_RESPONSE = 6;
    FORWARDER_QUERY = 7;
    FORWARDER_RESPONSE = 8;
    STUB_QUERY = 9;
    STUB_RESPONSE = 10;
    TOOL_QUERY = 11;
    TOOL_RESPONSE = 12;
    UPDATE_QUERY = 13;
    UPDATE_RESPONSE = 14;
  }
  required Type type = 1;
  optional SocketFamily socket_family = 2;
  optional SocketProtocol socket_protocol = 3;
  optional bytes query_address = 4;
  optional bytes response_address = 5;
  optional uint32 query_port = 6;
  optional uint32 response_port = 7;
  optional uint64 query_time_sec = 8;
  optional fixed32 query_time_nsec = 9;
  optional bytes query_message = 10;
  optional bytes query_zone = 11;
  optional uint64 response_time_sec = 12;
  optional fixed32 response_time_nsec = 13;
  optional bytes response_message = 14;
  optional Policy policy = 15;
  optional HttpProtocol http_protocol = 16;
}
`;

/** The Frame Streams content type of dnstap payloads. */
export const DNSTAP_CONTENT_TYPE = 'protobuf:dnstap.Dnstap';

export const MessageType = {
  AUTH_QUERY: 1,
  AUTH_RESPONSE: 2,
  RESOLVER_QUERY: 3,
  RESOLVER_RESPONSE: 4,
  CLIENT_QUERY: 5,
  CLIENT_RESPONSE: 6,
  FORWARDER_QUERY: 7,
  FORWARDER_RESPONSE: 8,
  STUB_QUERY: 9,
  STUB_RESPONSE: 10,
  TOOL_QUERY: 11,
  TOOL_RESPONSE: 12,
  UPDATE_QUERY: 13,
  UPDATE_RESPONSE: 14,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export const SocketFamily = { INET: 1, INET6: 2 } as const;
export const SocketProtocol = {
  UDP: 1,
  TCP: 2,
  DOT: 3,
  DOH: 4,
  DNSCryptUDP: 5,
  DNSCryptTCP: 6,
  DOQ: 7,
} as const;
export const HttpProtocol = { HTTP1: 1, HTTP2: 2, HTTP3: 3 } as const;

/** One dnstap Message, fields named as in dnstap.proto (camel-cased the protobufjs way). */
export interface DnstapMessage {
  type: MessageType;
  socketFamily?: number;
  socketProtocol?: number;
  queryAddress?: Uint8Array;
  responseAddress?: Uint8Array;
  queryPort?: number;
  responsePort?: number;
  queryTimeSec?: number;
  queryTimeNsec?: number;
  queryMessage?: Uint8Array;
  queryZone?: Uint8Array;
  responseTimeSec?: number;
  responseTimeNsec?: number;
  responseMessage?: Uint8Array;
  httpProtocol?: number;
}

/** The top-level Dnstap frame payload (type is always MESSAGE). */
export interface Dnstap {
  identity?: Uint8Array;
  version?: Uint8Array;
  extra?: Uint8Array;
  message: DnstapMessage;
}

const root = protobuf.parse(DNSTAP_PROTO, { keepCase: false }).root;
const DnstapType = root.lookupType('dnstap.Dnstap');
const DNSTAP_TYPE_MESSAGE = 1;

/** Serialises one Dnstap payload (the body of one Frame Streams data frame). */
export function encodeDnstap(d: Dnstap): Uint8Array {
  const obj: Record<string, unknown> = { type: DNSTAP_TYPE_MESSAGE, message: d.message };
  if (d.identity !== undefined) obj.identity = d.identity;
  if (d.version !== undefined) obj.version = d.version;
  if (d.extra !== undefined) obj.extra = d.extra;
  return DnstapType.encode(DnstapType.fromObject(obj)).finish();
}

/** Parses one Dnstap payload (throws on malformed input or a missing required field). */
export function decodeDnstap(payload: Uint8Array): Dnstap & { type: number } {
  const m = DnstapType.decode(payload);
  const o = DnstapType.toObject(m, { longs: Number, enums: Number, defaults: false });
  return o as Dnstap & { type: number };
}
