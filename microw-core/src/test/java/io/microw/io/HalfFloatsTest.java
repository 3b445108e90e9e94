package io.microw.io;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    private static int half(float f) {
        return HalfFloats.floatToHalf(f) & 0xffff;
    }

    private static int bf16(float f) {
        return HalfFloats.floatToBf16(f) & 0xffff;
    }

    @Test
    void halfKnownEncodings() {
        assertThat(half(1.0f)).isEqualTo(0x3C00);
        assertThat(half(-2.5f)).isEqualTo(0xC100);
        assertThat(half(65504f)).isEqualTo(0x7BFF);
        assertThat(half(0f)).isEqualTo(0x0000);
        assertThat(half(-0f)).isEqualTo(0x8000);
        assertThat(half(0x1p-14f)).isEqualTo(0x0400);
        assertThat(half(0x1p-24f)).isEqualTo(0x0001);
        assertThat(half(0x3ffp-24f)).isEqualTo(0x03FF);
        assertThat(half(0.1f)).isEqualTo(0x2E66);
        assertThat(half(Float.POSITIVE_INFINITY)).isEqualTo(0x7C00);
        assertThat(half(Float.NEGATIVE_INFINITY)).isEqualTo(0xFC00);
        assertThat(HalfFloats.halfToFloat(HalfFloats.floatToHalf(Float.NaN))).isNaN();
    }

    @Test
    void halfRoundsToNearestEven() {
        assertThat(half(1f + 0x1p-11f)).as("tie goes to even 1.0").isEqualTo(0x3C00);
        assertThat(half(1f + 3 * 0x1p-11f)).as("tie goes to even mantissa 2").isEqualTo(0x3C02);
        assertThat(half(1f + 0x1.2p-11f)).as("above tie rounds up").isEqualTo(0x3C01);
        assertThat(half(65519f)).isEqualTo(0x7BFF);
        assertThat(half(65520f)).as("tie above max rounds to infinity").isEqualTo(0x7C00);
        assertThat(half(1e6f)).isEqualTo(0x7C00);
        assertThat(half(0x1p-25f)).as("subnormal tie to even zero").isEqualTo(0x0000);
        assertThat(half(0x1.8p-25f)).isEqualTo(0x0001);
        assertThat(half(3 * 0x1p-25f)).as("subnormal tie to even 2").isEqualTo(0x0002);
        assertThat(half(0x1p-26f)).isEqualTo(0x0000);
        assertThat(half(0x7ffp-25f)).as("largest subnormal rounds up to min normal").isEqualTo(0x0400);
        assertThat(half(Float.MIN_VALUE)).isEqualTo(0x0000);
    }

    @Test
    void halfDecoding() {
        assertThat(HalfFloats.halfToFloat((short) 0x3C00)).isEqualTo(1.0f);
        assertThat(HalfFloats.halfToFloat((short) 0xC100)).isEqualTo(-2.5f);
        assertThat(HalfFloats.halfToFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(HalfFloats.halfToFloat((short) 0x0001)).isEqualTo(0x1p-24f);
        assertThat(HalfFloats.halfToFloat((short) 0x83FF)).isEqualTo(-0x3ffp-24f);
        assertThat(HalfFloats.halfToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(HalfFloats.halfToFloat((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(HalfFloats.halfToFloat((short) 0x7E00)).isNaN();
        assertThat(Float.floatToRawIntBits(HalfFloats.halfToFloat((short) 0x8000))).isEqualTo(0x80000000);
    }

    @Test
    void everyHalfSurvivesRoundTrip() {
        for (int bits = 0; bits <= 0xffff; bits++) {
            float f = HalfFloats.halfToFloat((short) bits);
            if (Float.isNaN(f)) {
                assertThat(HalfFloats.halfToFloat(HalfFloats.floatToHalf(f))).isNaN();
            } else {
                assertThat(half(f)).as("bits %04x", bits).isEqualTo(bits);
            }
        }
    }

    @Test
    void bf16KnownEncodingsAndRounding() {
        assertThat(bf16(1.0f)).isEqualTo(0x3F80);
        assertThat(bf16(-2.5f)).isEqualTo(0xC020);
        assertThat(bf16((float) Math.PI)).isEqualTo(0x4049);
        assertThat(bf16(Float.intBitsToFloat(0x3F808000))).as("tie to even").isEqualTo(0x3F80);
        assertThat(bf16(Float.intBitsToFloat(0x3F818000))).as("tie to even").isEqualTo(0x3F82);
        assertThat(bf16(Float.intBitsToFloat(0x3F808001))).isEqualTo(0x3F81);
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo(0x7F80);
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo(0xFF80);
        assertThat(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(Float.NaN))).isNaN();
        assertThat(HalfFloats.bf16ToFloat((short) 0xC020)).isEqualTo(-2.5f);
        assertThat(HalfFloats.bf16ToFloat((short) 0x0001)).isEqualTo(Float.intBitsToFloat(0x00010000));
    }
}
