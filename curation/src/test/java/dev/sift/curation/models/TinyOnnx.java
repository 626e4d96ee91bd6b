package dev.sift.curation.models;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes tiny ONNX models (protobuf by hand, no {@code onnx} library) for tests that need a graph
 * the fixtures do not have, such as float16 towers. Only the few message fields those graphs use
 * are encoded; field numbers follow {@code onnx.proto}.
 */
final class TinyOnnx {
  static final int FLOAT = 1;
  static final int INT64 = 7;
  static final int BOOL = 9;
  static final int FLOAT16 = 10;

  private TinyOnnx() {}

  /** A model of opset 17 whose graph is {@code nodes}, {@code inputs} and {@code outputs}. */
  static byte[] model(List<byte[]> nodes, List<byte[]> inputs, List<byte[]> outputs) {
    return model(nodes, List.of(), inputs, outputs);
  }

  /** As {@link #model(List, List, List)}, with constant tensors from {@link #floats}. */
  static byte[] model(
      List<byte[]> nodes, List<byte[]> initializers, List<byte[]> inputs, List<byte[]> outputs) {
    return new Message()
        .varint(1, 8)
        .string(2, "sift-test")
        .bytes(7, graph("test", nodes, initializers, inputs, outputs))
        .bytes(8, new Message().string(1, "").varint(2, 17).toBytes())
        .toBytes();
  }

  /** A GraphProto: the main graph of {@link #model}, or a branch for {@link #graphAttr}. */
  static byte[] graph(
      String name,
      List<byte[]> nodes,
      List<byte[]> initializers,
      List<byte[]> inputs,
      List<byte[]> outputs) {
    Message graph = new Message();
    nodes.forEach(n -> graph.bytes(1, n));
    initializers.forEach(t -> graph.bytes(5, t));
    graph.string(2, name);
    inputs.forEach(i -> graph.bytes(11, i));
    outputs.forEach(o -> graph.bytes(12, o));
    return graph.toBytes();
  }

  /** A graph-valued attribute, such as the branches of an {@code If} node. */
  static byte[] graphAttr(String name, byte[] graph) {
    return new Message().string(1, name).bytes(6, graph).varint(20, 5).toBytes();
  }

  /** A graph input or output: a tensor of {@code elemType}; a dimension below 1 is symbolic. */
  static byte[] tensor(String name, int elemType, long... dims) {
    Message shape = new Message();
    for (int i = 0; i < dims.length; i++) {
      Message dim = new Message();
      if (dims[i] > 0) {
        dim.varint(1, dims[i]);
      } else {
        dim.string(2, "d" + i);
      }
      shape.bytes(1, dim.toBytes());
    }
    byte[] tensorType = new Message().varint(1, elemType).bytes(2, shape.toBytes()).toBytes();
    byte[] type = new Message().bytes(1, tensorType).toBytes();
    return new Message().string(1, name).bytes(2, type).toBytes();
  }

  /** A constant float32 tensor of shape {@code dims}, every value {@code value}. */
  static byte[] floats(String name, float value, long... dims) {
    long count = 1;
    for (long d : dims) {
      count *= d;
    }
    float[] values = new float[(int) count];
    java.util.Arrays.fill(values, value);
    return floats(name, values, dims);
  }

  /** A constant float32 tensor of shape {@code dims} holding {@code values} in row-major order. */
  static byte[] floats(String name, float[] values, long... dims) {
    java.nio.ByteBuffer raw = littleEndian(values.length * 4);
    for (float v : values) {
      raw.putFloat(v);
    }
    return constant(name, FLOAT, raw.array(), dims);
  }

  /** A constant int64 tensor of shape {@code dims} (none: a scalar) holding {@code values}. */
  static byte[] longs(String name, long[] values, long... dims) {
    java.nio.ByteBuffer raw = littleEndian(values.length * 8);
    for (long v : values) {
      raw.putLong(v);
    }
    return constant(name, INT64, raw.array(), dims);
  }

  private static java.nio.ByteBuffer littleEndian(int bytes) {
    return java.nio.ByteBuffer.allocate(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
  }

  /** A TensorProto with {@code raw} as its raw_data. */
  private static byte[] constant(String name, int elemType, byte[] raw, long... dims) {
    Message tensor = new Message();
    for (long d : dims) {
      tensor.varint(1, d);
    }
    return tensor.varint(2, elemType).string(8, name).bytes(9, raw).toBytes();
  }

  /** A node; {@code attributes} from {@link #intAttr} and {@link #intsAttr}. */
  static byte[] node(
      String opType, List<String> inputs, List<String> outputs, List<byte[]> attributes) {
    Message node = new Message();
    inputs.forEach(i -> node.string(1, i));
    outputs.forEach(o -> node.string(2, o));
    node.string(3, opType + "_" + outputs.get(0));
    node.string(4, opType);
    attributes.forEach(a -> node.bytes(5, a));
    return node.toBytes();
  }

  static byte[] intAttr(String name, long value) {
    return new Message().string(1, name).varint(3, value).varint(20, 2).toBytes();
  }

  static byte[] intsAttr(String name, long... values) {
    Message attr = new Message().string(1, name);
    for (long v : values) {
      attr.varint(8, v);
    }
    return attr.varint(20, 7).toBytes();
  }

  /** Protobuf wire format for varint and length-delimited fields, non-negative values only. */
  private static final class Message {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Message varint(int field, long value) {
      writeVarint((long) field << 3);
      writeVarint(value);
      return this;
    }

    Message bytes(int field, byte[] value) {
      writeVarint(((long) field << 3) | 2);
      writeVarint(value.length);
      out.writeBytes(value);
      return this;
    }

    Message string(int field, String value) {
      return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    byte[] toBytes() {
      return out.toByteArray();
    }

    private void writeVarint(long value) {
      while ((value & ~0x7FL) != 0) {
        out.write((int) ((value & 0x7F) | 0x80));
        value >>>= 7;
      }
      out.write((int) value);
    }
  }
}
