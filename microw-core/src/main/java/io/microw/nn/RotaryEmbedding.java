package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding ({@code model.rotary_emb}): from the forward's position ids it outputs
 * (cos, sin), each [batch, seq, rotaryDim], as Hugging Face's rotary modules do: computed in float32, then given the
 * dtype of the hidden states they will rotate (so a float64 model rotates in float64). {@link #rotate} applies them
 * to the first {@code rotaryDim} dimensions of queries or keys. The frequencies come from a {@link RopeScaling}.
 */
public final class RotaryEmbedding extends Module {

    private final RopeScaling rope;

    /**
     * A rotary embedding module.
     *
     * @param name the module's full Hugging Face name
     * @param rope the frequencies
     */
    public RotaryEmbedding(String name, RopeScaling rope) {
        super(name);
        this.rope = rope;
    }

    @Override
    public String typeName() {
        return "RotaryEmbedding(" + rope.type() + ")";
    }

    /**
     * Number of rotated dimensions of each head.
     *
     * @return the rotary dimension
     */
    public int rotaryDim() {
        return rope.rotaryDim();
    }

    /**
     * Inputs: position ids [batch, seq] (int64) and the hidden states (only their dtype is read). Outputs: cos and
     * sin [batch, seq, rotaryDim] in the hidden states' dtype.
     */
    @Override
    protected NDList forward(ForwardContext ctx, NDList inputs) {
        NDArray positions = inputs.head();
        DataType dtype = inputs.get(1).getDataType();
        long maxPosition = positions.max().getLong();
        float[] invFreq = rope.inverseFrequencies(maxPosition + 1);
        NDArray inv = ctx.manager().create(invFreq, new Shape(1, 1, invFreq.length));
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(2).mul(inv);
        NDArray emb = freqs.concat(freqs, 2);
        float scaling = rope.attentionScaling();
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (scaling != 1f) {
            cos = cos.muli(scaling);
            sin = sin.muli(scaling);
        }
        return new NDList(cos.toType(dtype, false), sin.toType(dtype, false)); // no copy when already that dtype
    }

    /**
     * Rotates x [batch, heads, seq, headDim] by (cos, sin) [batch, seq, rotaryDim]: x·cos + rotate_half(x)·sin
     * on the first rotaryDim dimensions; the rest pass through.
     *
     * @param x   queries or keys
     * @param cos this module's first output
     * @param sin this module's second output
     * @return the rotated tensor, shaped as {@code x}
     */
    public static NDArray rotate(NDArray x, NDArray cos, NDArray sin) {
        long headDim = x.getShape().get(3);
        long rotaryDim = cos.getShape().get(2);
        NDArray c = cos.expandDims(1);
        NDArray s = sin.expandDims(1);
        NDArray rot = rotaryDim == headDim ? x : x.get(":, :, :, :{}", rotaryDim);
        long half = rotaryDim / 2;
        NDArray x1 = rot.get(":, :, :, :{}", half);
        NDArray x2 = rot.get(":, :, :, {}:", half);
        NDArray rotated = x2.neg().concat(x1, 3);
        NDArray out = rot.mul(c).addi(rotated.muli(s));
        return rotaryDim == headDim ? out : out.concat(x.get(":, :, :, {}:", rotaryDim), 3);
    }
}
