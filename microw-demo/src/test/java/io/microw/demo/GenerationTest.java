package io.microw.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.hooks.ModelInputDetector;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.LanguageModel;
import io.microw.nn.ForwardBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Greedy and sampled generation on brown-gpt2: batching, reproducibility, hooks at each step, EOS. */
class GenerationTest {

    private static final long EOS = 0;
    private static final List<String> PROMPTS = List.of("The jury said", "It was a long day in the city of",
            "He");

    private static LanguageModel lm;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @AfterEach
    void noHookLeftBehind() {
        HookHygiene.assertNoHooksLeft(lm);
    }

    private static GenerationConfig greedy(int n) {
        return GenerationConfig.builder().maxNewTokens(n).stopAtEos(false).build();
    }

    private static GenerationConfig sampled(int n, long seed) {
        return GenerationConfig.builder().maxNewTokens(n).temperature(1.0).seed(seed).stopAtEos(false).build();
    }

    @Test
    void greedyBatchedWithLeftPaddingEqualsEachPromptAlone() {
        GenerationResult batched = lm.inference().generate(PROMPTS, greedy(12));
        for (int i = 0; i < PROMPTS.size(); i++) {
            GenerationResult alone = lm.inference().generate(List.of(PROMPTS.get(i)), greedy(12));
            assertThat(batched.sequences()[i]).as(PROMPTS.get(i)).containsExactly(alone.sequences()[0]);
            assertThat(batched.newTokens(i)).hasSize(12);
            assertThat(batched.texts().get(i)).startsWith(PROMPTS.get(i));
            assertThat(batched.texts().get(i)).isEqualTo(PROMPTS.get(i) + batched.completions().get(i));
            long[] promptIds = lm.tokenizer().encode(PROMPTS.get(i));
            assertThat(Arrays.copyOf(batched.sequences()[i], promptIds.length)).containsExactly(promptIds);
        }
        // From token ids too.
        long[][] ids = PROMPTS.stream().map(p -> lm.tokenizer().encode(p)).toArray(long[][]::new);
        GenerationResult fromIds = lm.inference().generate(ids, greedy(12));
        assertThat(fromIds.sequences()).isDeepEqualTo(batched.sequences());
    }

    @Test
    void greedyContinuationMatchesArgmaxOfAFullForward() {
        GenerationResult g = lm.inference().generate(List.of(PROMPTS.get(0)), greedy(6));
        long[] seq = g.sequences()[0];
        int promptLength = seq.length - 6;
        // Re-run the whole sequence without the cache: each new token is the argmax at the position before it.
        try (var r = lm.inference().forward(new long[][] {seq}, null)) {
            Floats.Tensor logits = Floats.Tensor.of(r.logits());
            for (int j = promptLength; j < seq.length; j++) {
                float[] row = logits.row(0, j - 1);
                int best = 0;
                for (int v = 1; v < row.length; v++) {
                    if (row[v] > row[best]) {
                        best = v;
                    }
                }
                assertThat((long) best).as("token %d", j).isEqualTo(seq[j]);
            }
        }
    }

    @Test
    void repetitionPenaltyIsAppliedToEveryTokenSeenSoFar() {
        double penalty = 1.8;
        GenerationResult g = lm.inference().generate(List.of(PROMPTS.get(0)), GenerationConfig.builder()
                .maxNewTokens(16).stopAtEos(false).repetitionPenalty(penalty).build());
        long[] seq = g.sequences()[0];
        int promptLength = seq.length - 16;
        // Re-run the whole sequence: each new token is the argmax of the penalised logits at the position before it.
        try (var r = lm.inference().forward(new long[][] {seq}, null)) {
            Floats.Tensor logits = Floats.Tensor.of(r.logits());
            for (int j = promptLength; j < seq.length; j++) {
                float[] row = logits.row(0, j - 1).clone();
                Set<Long> seen = new java.util.HashSet<>();
                for (int t = 0; t < j; t++) {
                    seen.add(seq[t]);
                }
                for (long id : seen) {
                    row[(int) id] = (float) (row[(int) id] < 0 ? row[(int) id] * penalty : row[(int) id] / penalty);
                }
                int best = 0;
                for (int v = 1; v < row.length; v++) {
                    if (row[v] > row[best]) {
                        best = v;
                    }
                }
                assertThat((long) best).as("token %d", j).isEqualTo(seq[j]);
            }
        }
        String plain = lm.inference().generate(List.of(PROMPTS.get(0)), greedy(16)).completions().get(0);
        assertThat(g.completions().get(0)).as("the penalty changes this continuation").isNotEqualTo(plain);
    }

    @Test
    void stopStringsEndARowAtTheTokenThatCompletesThem() {
        GenerationResult full = lm.inference().generate(PROMPTS, greedy(16));
        String completion = full.completions().get(1);
        long[] tokens = full.newTokens(1);
        // a stop string that the 5th and 6th new tokens complete
        String upTo4 = lm.tokenizer().decode(Arrays.copyOf(tokens, 4), true);
        String upTo6 = lm.tokenizer().decode(Arrays.copyOf(tokens, 6), true);
        String stop = upTo6.substring(Math.max(upTo4.length() - 1, 0)).strip();
        assertThat(stop).isNotEmpty();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(16).stopAtEos(false)
                .stopStrings(List.of(stop, "no such string \u0001")).build();
        GenerationResult stopped = lm.inference().generate(PROMPTS, cfg);
        long[] kept = stopped.newTokens(1);
        assertThat(kept.length).isLessThanOrEqualTo(6).isLessThan(tokens.length);
        assertThat(Arrays.copyOf(tokens, kept.length)).containsExactly(kept);
        assertThat(stopped.completions().get(1)).contains(stop);
        assertThat(lm.tokenizer().decode(Arrays.copyOf(kept, kept.length - 1), true)).doesNotContain(stop);
        assertThat(completion).startsWith(stopped.completions().get(1));
        // rows without the string run to the limit (or stop at it themselves)
        for (int row : new int[] {0, 2}) {
            String c = full.completions().get(row);
            if (!c.contains(stop)) {
                assertThat(stopped.newTokens(row)).containsExactly(full.newTokens(row));
            }
        }
    }

    @Test
    void badPenaltiesAndStopStringsAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenerationConfig.builder().repetitionPenalty(0))
                .hasMessageContaining("repetitionPenalty").hasMessageContaining("0");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenerationConfig.builder()
                .repetitionPenalty(Double.NaN)).hasMessageContaining("NaN");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenerationConfig.builder()
                .stopStrings(List.of("ok", ""))).hasMessageContaining("non-empty");
    }

    @Test
    void samplingIsReproducibleWithASeedAndVariesAcrossSeeds() {
        GenerationResult a = lm.inference().generate(PROMPTS, sampled(16, 42));
        GenerationResult b = lm.inference().generate(PROMPTS, sampled(16, 42));
        assertThat(a.sequences()).isDeepEqualTo(b.sequences());
        int differing = 0;
        for (long seed = 1; seed <= 4; seed++) {
            GenerationResult other = lm.inference().generate(PROMPTS, sampled(16, seed));
            if (!Arrays.deepEquals(other.sequences(), a.sequences())) {
                differing++;
            }
        }
        assertThat(differing).as("seeds giving other samples than seed 42").isGreaterThanOrEqualTo(3);
        GenerationResult greedy = lm.inference().generate(PROMPTS, greedy(16));
        assertThat(a.sequences()).as("sampling at temperature 1 is not greedy").isNotEqualTo(greedy.sequences());
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        GenerationResult greedy = lm.inference().generate(PROMPTS, greedy(10));
        GenerationResult topK = lm.inference().generate(PROMPTS,
                GenerationConfig.builder().maxNewTokens(10).topK(1).seed(7).stopAtEos(false).build());
        GenerationResult topP = lm.inference().generate(PROMPTS,
                GenerationConfig.builder().maxNewTokens(10).topP(1e-9).seed(7).stopAtEos(false).build());
        assertThat(topK.sequences()).isDeepEqualTo(greedy.sequences());
        assertThat(topP.sequences()).isDeepEqualTo(greedy.sequences());
    }

    /** Records what each forward of a generation looked like at one layer. */
    static final class StepRecorder extends BaseHook implements Detector {
        final List<Integer> seqLengths = new ArrayList<>();
        final List<Integer> steps = new ArrayList<>();
        final List<Integer> pastLengths = new ArrayList<>();
        final List<long[]> positions = new ArrayList<>();
        final List<long[]> activationShapes = new ArrayList<>();

        StepRecorder(String layer) {
            super(HookType.FORWARD, layer);
        }

        @Override
        public void processActivations(HookCall call) {
            ForwardBatch b = call.batch();
            seqLengths.add(b.seqLength());
            steps.add(b.generationStep());
            pastLengths.add(b.pastLength());
            positions.add(b.positionIds().toLongArray());
            activationShapes.add(call.output().getShape().getShape());
        }
    }

    @Test
    void theHeadRunsOnTheLastPositionOnlyDuringGeneration() {
        StepRecorder head = new StepRecorder("lm_head");
        StepRecorder finalNorm = new StepRecorder("transformer.ln_f");
        String headId = lm.layers().registerHook("lm_head", head);
        String normId = lm.layers().registerHook("transformer.ln_f", finalNorm);
        try {
            lm.inference().generate(List.of(PROMPTS.get(1)), greedy(3));
        } finally {
            lm.layers().unregisterHook(headId);
            lm.layers().unregisterHook(normId);
        }
        int prompt = lm.tokenizer().encode(PROMPTS.get(1)).length;
        long vocab = lm.config().vocabSize();
        // as Hugging Face's generate (logits_to_keep=1): the prompt's step unembeds its last position alone
        assertThat(head.activationShapes).hasSize(3)
                .allSatisfy(shape -> assertThat(shape).containsExactly(1, 1, vocab));
        assertThat(finalNorm.activationShapes.get(0)).containsExactly(1, prompt, 256);
        // a plain forward still unembeds every position
        try (var result = lm.inference().executeInference(List.of(PROMPTS.get(1)))) {
            assertThat(result.logits().getShape().getShape()).containsExactly(1, prompt, vocab);
        }
    }

    @Test
    void hooksFireAtEveryStep() {
        StepRecorder recorder = new StepRecorder("layer_1");
        ModelInputDetector input = new ModelInputDetector();
        String id = lm.layers().registerHook("layer_1", recorder);
        String inputId = lm.layers().registerHook("root", input);
        GenerationResult g;
        int steps = 7;
        try {
            g = lm.inference().generate(List.of(PROMPTS.get(1), PROMPTS.get(0)), greedy(steps));
        } finally {
            lm.layers().unregisterHook(id);
            lm.layers().unregisterHook(inputId);
        }
        int longest = lm.tokenizer().encode(PROMPTS.get(1)).length;
        int shorter = lm.tokenizer().encode(PROMPTS.get(0)).length;
        assertThat(recorder.seqLengths).hasSize(steps);
        assertThat(recorder.steps).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(recorder.seqLengths.get(0)).isEqualTo(longest);
        assertThat(recorder.seqLengths.subList(1, steps)).containsOnly(1);
        assertThat(recorder.activationShapes.get(0)).containsExactly(2, longest, 256);
        for (int k = 1; k < steps; k++) {
            assertThat(recorder.activationShapes.get(k)).containsExactly(2, 1, 256);
            assertThat(recorder.pastLengths.get(k)).isEqualTo(longest + k - 1);
            // Positions follow each row's own length: the left-padded row continues from its last real token.
            assertThat(recorder.positions.get(k)).containsExactly(longest + k - 1, shorter + k - 1);
        }
        assertThat(recorder.pastLengths.get(0)).isZero();
        // The last step's input was the token generated by the step before it.
        assertThat(input.inputIds()).isDeepEqualTo(new long[][] {
                {g.sequences()[0][longest + steps - 2]}, {g.sequences()[1][shorter + steps - 2]}});
        assertThat(input.realTokenMask()[0][0]).isTrue();
    }

    /** Forces EOS on chosen rows at a chosen step by editing the logits. */
    static final class ForceEos extends BaseHook implements Controller {
        private final int atStep;
        private final Set<Integer> rows;
        int calls;

        ForceEos(int atStep, Set<Integer> rows) {
            super(HookType.FORWARD, "lm_head");
            this.atStep = atStep;
            this.rows = rows;
        }

        @Override
        public NDArray modifyActivations(HookCall call) {
            int step = calls++;
            if (step != atStep) {
                return null;
            }
            NDArray logits = call.output();
            long last = logits.getShape().get(1) - 1;
            for (int row : rows) {
                logits.set(new NDIndex("{}, {}, {}", row, last, EOS), 1e4f);
            }
            return logits;
        }
    }

    @Test
    void stopsAtEos() {
        String prompt = PROMPTS.get(0);
        int promptLength = lm.tokenizer().encode(prompt).length;
        GenerationResult free = lm.inference().generate(List.of(prompt), greedy(8));

        ForceEos force = new ForceEos(2, Set.of(0));
        String id = lm.layers().registerHook("lm_head", force);
        GenerationResult stopped;
        try {
            stopped = lm.inference().generate(List.of(prompt), GenerationConfig.greedy(8));
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(force.calls).as("no forward after the EOS").isEqualTo(3);
        assertThat(stopped.newTokens(0)).hasSize(3);
        assertThat(stopped.newTokens(0)[2]).isEqualTo(EOS);
        assertThat(Arrays.copyOf(stopped.newTokens(0), 2)).containsExactly(Arrays.copyOf(free.newTokens(0), 2));
        assertThat(stopped.sequences()[0]).hasSize(promptLength + 3);
        assertThat(stopped.completions().get(0)).isEqualTo(lm.tokenizer().decode(
                Arrays.copyOf(free.newTokens(0), 2), true));

        // stopAtEos(false) goes on past the EOS.
        ForceEos again = new ForceEos(2, Set.of(0));
        id = lm.layers().registerHook("lm_head", again);
        GenerationResult goesOn;
        try {
            goesOn = lm.inference().generate(List.of(prompt), greedy(8));
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(goesOn.newTokens(0)).hasSize(8);
        assertThat(goesOn.newTokens(0)[2]).isEqualTo(EOS);
    }

    @Test
    void aFinishedRowDoesNotDisturbTheOthers() {
        List<String> prompts = List.of(PROMPTS.get(0), PROMPTS.get(1));
        ForceEos force = new ForceEos(1, Set.of(0));
        String id = lm.layers().registerHook("lm_head", force);
        GenerationResult g;
        try {
            g = lm.inference().generate(prompts, GenerationConfig.greedy(8));
        } finally {
            lm.layers().unregisterHook(id);
        }
        assertThat(g.newTokens(0)).hasSize(2);
        assertThat(g.newTokens(0)[1]).isEqualTo(EOS);
        GenerationResult alone = lm.inference().generate(List.of(prompts.get(1)), GenerationConfig.greedy(8));
        assertThat(g.sequences()[1]).containsExactly(alone.sequences()[0]);
    }

    @Test
    void sequencesNeverExtendPastTheFirstEos() {
        GenerationConfig config = GenerationConfig.builder().maxNewTokens(40).stopAtEos(true).build();
        List<String> prompts = List.of("The end.", "Thank you.", "He said no.", "It was over.");
        GenerationResult greedy = lm.inference().generate(prompts, config);
        GenerationResult sampled = lm.inference().generate(prompts,
                GenerationConfig.builder().maxNewTokens(40).temperature(1.2).seed(3).build());
        int sawEos = 0;
        for (GenerationResult g : List.of(greedy, sampled)) {
            for (int i = 0; i < prompts.size(); i++) {
                long[] tokens = g.newTokens(i);
                assertThat(tokens.length).isBetween(1, 40);
                for (int j = 0; j < tokens.length - 1; j++) {
                    assertThat(tokens[j]).as("row %d token %d comes before the end", i, j).isNotEqualTo(EOS);
                }
                if (tokens[tokens.length - 1] == EOS) {
                    sawEos++;
                } else {
                    assertThat(tokens).hasSize(40);
                }
            }
        }
        System.out.println("rows ending at a natural EOS: " + sawEos + " of " + 2 * prompts.size());
    }
}
