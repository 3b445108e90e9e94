package io.microw.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle interpreter that understands only what a PyTorch state dict needs, and executes nothing: dicts and
 * {@code collections.OrderedDict}, strings, ints, booleans, None, tuples, persistent ids naming storages, and the
 * globals {@code torch._utils._rebuild_tensor_v2}, {@code torch._utils._rebuild_parameter} and the typed storage
 * classes ({@code torch.FloatStorage}, ...). Any other opcode, global, call or {@code BUILD} target is refused with
 * an error naming the file, the opcode or global, and its byte offset.
 */
final class StateDictUnpickler {

    /** A global the pickle named, resolved to nothing but its name. */
    record Global(String module, String name) {
        String qualified() {
            return module + "." + name;
        }
    }

    /** A storage named by a persistent id: {@code ('storage', torch.XStorage, key, location, numel)}. */
    record StorageRef(String storageClass, String key, long numel) {
    }

    /** A tensor view of a storage: {@code _rebuild_tensor_v2(storage, offset, size, stride, ...)}. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] strides) {
    }

    /** Storage classes a state dict may name. */
    static final Set<String> STORAGES = Set.of("FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage",
            "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage");

    private static final Object MARK = new Object();
    private static final Global ORDERED_DICT = new Global("collections", "OrderedDict");
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");
    private static final Global REBUILD_PARAMETER = new Global("torch._utils", "_rebuild_parameter");

    private final String where;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private StateDictUnpickler(String where, byte[] pickle) {
        this.where = where;
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Interprets a pickle and returns its top object (maps, lists, strings, numbers, {@link TensorRef}s).
     *
     * @param where the file name, for messages
     * @param pickle the pickle bytes
     * @return the unpickled object
     */
    static Object load(String where, byte[] pickle) {
        return new StateDictUnpickler(where, pickle).run();
    }

    private Object run() {
        while (in.hasRemaining()) {
            int at = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> in.get(); // PROTO
                case 0x95 -> in.getLong(); // FRAME: a length hint only
                case '.' -> { // STOP
                    Object top = pop(at, op);
                    if (!stack.isEmpty()) {
                        throw refuse(at, "STOP with " + stack.size() + " objects left on the stack");
                    }
                    return top;
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(List.of()); // EMPTY_TUPLE
                case '(' -> push(MARK);
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) in.getInt()); // BININT
                case 'K' -> push((long) (in.get() & 0xff)); // BININT1
                case 'M' -> push((long) (in.getShort() & 0xffff)); // BININT2
                case 0x8a -> push(long1(at)); // LONG1
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT, big-endian
                case 'X' -> push(string(in.getInt(), at)); // BINUNICODE
                case 0x8c -> push(string(in.get() & 0xff, at)); // SHORT_BINUNICODE
                case 'c' -> push(global(at, line(at), line(at))); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at, op);
                    Object module = pop(at, op);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw refuse(at, "STACK_GLOBAL without two strings");
                    }
                    push(global(at, m, n));
                }
                case 'q' -> memo.put((long) (in.get() & 0xff), peek(at, op)); // BINPUT
                case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek(at, op)); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek(at, op)); // MEMOIZE
                case 'h' -> push(memo(at, in.get() & 0xff)); // BINGET
                case 'j' -> push(memo(at, in.getInt() & 0xffffffffL)); // LONG_BINGET
                case 't' -> push(nonNull(popMark(at))); // TUPLE
                case 0x85 -> push(tuple(at, op, 1)); // TUPLE1
                case 0x86 -> push(tuple(at, op, 2)); // TUPLE2
                case 0x87 -> push(tuple(at, op, 3)); // TUPLE3
                case 'Q' -> push(persistent(at, pop(at, op))); // BINPERSID
                case 'R' -> { // REDUCE
                    Object args = pop(at, op);
                    Object func = pop(at, op);
                    push(reduce(at, func, args));
                }
                case 's' -> { // SETITEM
                    Object value = pop(at, op);
                    Object key = pop(at, op);
                    dict(at, peek(at, op)).put(key, value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark(at);
                    Map<Object, Object> d = dict(at, peek(at, op));
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        d.put(items.get(i), items.get(i + 1));
                    }
                }
                case 'a' -> list(at, stackTop(at, 2)).add(pop(at, op)); // APPEND
                case 'e' -> { // APPENDS
                    List<Object> items = popMark(at);
                    list(at, peek(at, op)).addAll(items);
                }
                case 'b' -> build(at, pop(at, op), peek(at, op)); // BUILD
                default -> throw refuse(at, "opcode " + opName(op) + " is not used by state dicts");
            }
        }
        throw refuse(in.position(), "the pickle ends without STOP (truncated?)");
    }

    // ------------------------------------------------------------------------------------------------ objects

    private Object global(int at, String module, String name) {
        Global g = new Global(module, name);
        if (g.equals(ORDERED_DICT) || g.equals(REBUILD_TENSOR) || g.equals(REBUILD_PARAMETER)
                || (module.equals("torch") && STORAGES.contains(name))) {
            return g;
        }
        throw refuse(at, "global '" + g.qualified() + "' is not allowed; a state dict of tensors only needs"
                + " collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch storages");
    }

    private Object reduce(int at, Object func, Object args) {
        if (!(func instanceof Global g)) {
            throw refuse(at, "REDUCE on " + describe(func) + ", not an allowed global");
        }
        if (!(args instanceof List<?> a)) {
            throw refuse(at, "REDUCE of " + g.qualified() + " with arguments " + describe(args) + ", not a tuple");
        }
        if (g.equals(ORDERED_DICT)) {
            if (!a.isEmpty()) {
                throw refuse(at, "collections.OrderedDict called with arguments; expected ()");
            }
            return new LinkedHashMap<>();
        }
        if (g.equals(REBUILD_TENSOR)) {
            if (a.size() < 4 || !(a.get(0) instanceof StorageRef s) || !(a.get(1) instanceof Long offset)) {
                throw refuse(at, "torch._utils._rebuild_tensor_v2 with arguments " + describe(args)
                        + "; expected (storage, offset, size, stride, ...)");
            }
            return new TensorRef(s, offset, longs(at, a.get(2), "size"), longs(at, a.get(3), "stride"));
        }
        if (g.equals(REBUILD_PARAMETER)) {
            if (a.isEmpty() || !(a.get(0) instanceof TensorRef t)) {
                throw refuse(at, "torch._utils._rebuild_parameter with arguments " + describe(args)
                        + "; expected (tensor, requires_grad, hooks)");
            }
            return t;
        }
        throw refuse(at, "REDUCE calls " + g.qualified() + ", which a state dict never calls");
    }

    private Object persistent(int at, Object pid) {
        if (pid instanceof List<?> t && t.size() == 5 && "storage".equals(t.get(0))
                && t.get(1) instanceof Global g && g.module().equals("torch") && STORAGES.contains(g.name())
                && t.get(2) instanceof String key && t.get(4) instanceof Long numel) {
            return new StorageRef(g.name(), key, numel);
        }
        throw refuse(at, "persistent id " + describe(pid) + "; expected ('storage', torch.XStorage, key, location,"
                + " numel)");
    }

    private void build(int at, Object state, Object target) {
        // OrderedDict state dicts carry a '_metadata' attribute (module versions): accepted and dropped.
        if (target instanceof Map<?, ?> && state instanceof Map<?, ?> s && s.keySet().stream().allMatch(
                k -> "_metadata".equals(k))) {
            return;
        }
        if (target instanceof Map<?, ?> && state instanceof List<?> pair && pair.size() == 2 && pair.get(0) == null
                && pair.get(1) instanceof Map<?, ?> s && s.keySet().stream().allMatch(k -> "_metadata".equals(k))) {
            return;
        }
        throw refuse(at, "BUILD sets state " + describe(state) + " on " + describe(target)
                + "; only an OrderedDict's _metadata is accepted");
    }

    // ------------------------------------------------------------------------------------------------ stack

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(int at, int op) {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw refuse(at, "opcode " + opName(op) + " on an empty stack");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(int at, int op) {
        if (stack.isEmpty()) {
            throw refuse(at, "opcode " + opName(op) + " on an empty stack");
        }
        return stack.get(stack.size() - 1);
    }

    private Object stackTop(int at, int depth) {
        if (stack.size() < depth) {
            throw refuse(at, "APPEND on a stack of " + stack.size());
        }
        return stack.get(stack.size() - depth);
    }

    private List<Object> popMark(int at) {
        int mark = stack.lastIndexOf(MARK);
        if (mark < 0) {
            throw refuse(at, "no MARK on the stack");
        }
        List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
        stack.subList(mark, stack.size()).clear();
        return items;
    }

    private List<Object> tuple(int at, int op, int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop(at, op);
        }
        return nonNull(Arrays.asList(items));
    }

    /** An unmodifiable copy that, unlike List.copyOf, allows the None a tuple may hold. */
    private static List<Object> nonNull(List<Object> items) {
        return Collections.unmodifiableList(new ArrayList<>(items));
    }

    private Object memo(int at, long key) {
        if (!memo.containsKey(key)) {
            throw refuse(at, "memo key " + key + " was never stored");
        }
        return memo.get(key);
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(int at, Object o) {
        if (!(o instanceof LinkedHashMap<?, ?> m)) {
            throw refuse(at, "SETITEM on " + describe(o) + ", not a dict");
        }
        return (Map<Object, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(int at, Object o) {
        if (!(o instanceof ArrayList<?> l)) {
            throw refuse(at, "APPEND on " + describe(o) + ", not a list");
        }
        return (List<Object>) l;
    }

    // ------------------------------------------------------------------------------------------------ scalars

    private String string(int length, int at) {
        if (length < 0 || length > in.remaining()) {
            throw refuse(at, "string of " + length + " bytes runs past the end of the pickle");
        }
        byte[] b = new byte[length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private String line(int at) {
        StringBuilder sb = new StringBuilder();
        while (in.hasRemaining()) {
            byte c = in.get();
            if (c == '\n') {
                return sb.toString();
            }
            sb.append((char) (c & 0xff));
        }
        throw refuse(at, "GLOBAL name runs past the end of the pickle");
    }

    private long long1(int at) {
        int n = in.get() & 0xff;
        if (n > 8) {
            throw refuse(at, "LONG1 of " + n + " bytes is larger than 64 bits");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) (in.get() & 0xff) << (8 * i);
        }
        if (n > 0 && n < 8 && (v >>> (8 * n - 1) & 1) == 1) {
            v -= 1L << (8 * n); // two's complement sign
        }
        return v;
    }

    private long[] longs(int at, Object o, String what) {
        if (!(o instanceof List<?> l)) {
            throw refuse(at, "tensor " + what + " " + describe(o) + " is not a tuple of integers");
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long v) || v < 0) {
                throw refuse(at, "tensor " + what + " " + describe(o) + " is not a tuple of non-negative integers");
            }
            out[i] = v;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ errors

    private TensorFileException refuse(int at, String what) {
        return new TensorFileException(where + ": refused to unpickle: " + what + " (at byte " + at
                + " of data.pkl); only state dicts of tensors are read, and nothing in a file is executed");
    }

    private static String describe(Object o) {
        if (o instanceof Global g) {
            return "global " + g.qualified();
        }
        if (o == null) {
            return "None";
        }
        if (o instanceof TensorRef) {
            return "a tensor";
        }
        String s = o instanceof String str ? "'" + str + "'" : String.valueOf(o);
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    private static String opName(int op) {
        String name = switch (op) {
            case 'i' -> "INST";
            case 'o' -> "OBJ";
            case 0x81 -> "NEWOBJ";
            case 0x92 -> "NEWOBJ_EX";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 'P' -> "PERSID";
            case 'I' -> "INT";
            case 'L' -> "LONG";
            case 'S' -> "STRING";
            case 'V' -> "UNICODE";
            case 'U' -> "SHORT_BINSTRING";
            case 'T' -> "BINSTRING";
            case 'B', 'C', 0x8e, 0x96, 0x97 -> "BYTES/BYTEARRAY";
            case 0x98 -> "NEXT_BUFFER";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 'l' -> "LIST";
            case 'd' -> "DICT";
            case '0' -> "POP";
            case '1' -> "POP_MARK";
            case '2' -> "DUP";
            case 'g' -> "GET";
            case 'p' -> "PUT";
            default -> null;
        };
        return (name == null ? "" : name + " ") + String.format("0x%02x", op);
    }
}
