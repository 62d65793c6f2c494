package dev.pvll.export;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The protocol-buffers wire format, as much of it as an ONNX model needs: varint, 32-bit and
 * length-delimited fields (https://protobuf.dev/programming-guides/encoding/). Fields are written
 * in the order called; nested messages are written into their own writer and added as bytes.
 */
final class ProtoWriter {
  private static final int VARINT = 0, LENGTH_DELIMITED = 2, FIXED32 = 5;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** An int32, int64 or enum field (negative values as 10-byte varints, as protobuf does). */
  ProtoWriter varint(int field, long value) {
    tag(field, VARINT);
    rawVarint(value);
    return this;
  }

  /** A float field. */
  ProtoWriter float32(int field, float value) {
    tag(field, FIXED32);
    int bits = Float.floatToRawIntBits(value);
    for (int i = 0; i < 4; i++) out.write(bits >>> (8 * i));
    return this;
  }

  /** A string field (UTF-8). */
  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A bytes field. */
  ProtoWriter bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    rawVarint(value.length);
    out.writeBytes(value);
    return this;
  }

  /** An embedded message field. */
  ProtoWriter message(int field, ProtoWriter message) {
    return bytes(field, message.toByteArray());
  }

  /** A packed repeated int64 field. */
  ProtoWriter packedVarints(int field, long[] values) {
    ProtoWriter packed = new ProtoWriter();
    for (long v : values) packed.rawVarint(v);
    return bytes(field, packed.toByteArray());
  }

  /** Floats as little-endian bytes (ONNX's raw_data). */
  static byte[] littleEndian(float[] values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return b.array();
  }

  /** Longs as little-endian bytes (ONNX's raw_data). */
  static byte[] littleEndian(long[] values) {
    ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return b.array();
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }

  private void tag(int field, int wireType) {
    rawVarint(((long) field << 3) | wireType);
  }

  private void rawVarint(long value) {
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
