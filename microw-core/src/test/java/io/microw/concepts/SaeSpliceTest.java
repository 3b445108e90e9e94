package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.lm.RunResult;
import io.microw.lm.UnknownLayerException;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.TopKSae;
import io.microw.steering.PositionScope;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import io.microw.testing.RecordingDetector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SaeHook#splice}: an SAE in one call, on the tiny Llama fixture (2 layers, d 64; its second row is
 * right-padded, so logits are compared at real positions).
 */
class SaeSpliceTest {

    private static final String LAYER = "blocks.0.hook_resid_post";
    private static Fixture fixture;
    private static LanguageModel lm;
    private static long[][] ids;
    private static long[][] mask;
    private static Sae sae;
    private static int strongest;

    @BeforeAll
    static void load() {
        fixture = Fixture.open("llama");
        lm = LanguageModel.load(fixture.modelDir());
        ids = fixture.ids("input_ids");
        mask = fixture.ids("attention_mask");
        sae = new TopKSae(128, 64, 8, 3);
        try (RunResult r = lm.inference().runWithCache(ids, mask, LAYER)) {
            strongest = (int) sae.encode(r.cache().get(LAYER)).reshape(-1, sae.dSae()).max(new int[] {0}).argMax().getLong();
        }
    }

    @AfterAll
    static void close() {
        sae.close();
        lm.close();
        fixture.close();
    }

    @AfterEach
    void noHookIsLeftOnTheModel() {
        assertThat(lm.layers().allHooks()).isEmpty();
    }

    /** A scale of a latent that fires, a pinned and a shifted one. */
    private static ConceptManipulations edits() {
        ConceptManipulations edits = new ConceptManipulations(sae.dSae());
        edits.scale(strongest, 3.0);
        edits.clamp(5, 2.0);
        edits.add(7, 0.5);
        return edits;
    }

    private static Fixture.Ref logits(Interventions iv) {
        try (RunResult r = lm.inference().run(ids, mask, iv)) {
            return new Fixture.Ref(r.logits().getShape().getShape(), r.logits().toFloatArray());
        }
    }

    private static double maxDiff(Fixture.Ref a, Fixture.Ref b) {
        return Compare.maxDiff(a.values(), a.shape(), b, mask, false);
    }

    @Test
    void steerWithoutEditsKeepsTheLogitsWhileReplaceChangesThem() {
        ConceptManipulations none = new ConceptManipulations(sae.dSae());
        Fixture.Ref plain = logits(Interventions.none());
        Fixture.Ref steered = logits(SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, none));
        Fixture.Ref replaced = logits(SaeHook.splice(lm, LAYER, sae, SaeMode.REPLACE, none));
        Fixture.Ref byHand = logits(Interventions.edit(LAYER, sae::forward));
        assertThat(maxDiff(steered, plain)).isLessThan(1e-5);
        assertThat(maxDiff(replaced, plain)).isGreaterThan(1e-3);
        assertThat(maxDiff(replaced, byHand)).isLessThan(1e-5);
    }

    @Test
    void steeringKeepsTheErrorTerm() {
        ConceptManipulations pin = new ConceptManipulations(sae.dSae());
        pin.clamp(strongest, 4.0);
        Fixture.Ref byHand = logits(Interventions.edit(LAYER, x -> {
            NDArray codes = sae.encode(x);
            NDArray edited = codes.duplicate();
            edited.set(new NDIndex("..., {}", strongest), 4f);
            return sae.decode(edited).add(x.sub(sae.decode(codes)));
        }));
        Fixture.Ref steered = logits(SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, pin));
        assertThat(maxDiff(steered, logits(Interventions.none()))).isGreaterThan(1e-3);
        assertThat(maxDiff(steered, byHand)).isLessThan(1e-4);
    }

    @Test
    void aSpliceGivesWhatTheAttachedHookGives() {
        for (SaeMode mode : List.of(SaeMode.STEER, SaeMode.REPLACE)) {
            SaeHook hook = SaeHook.attach(lm, sae, LAYER);
            Fixture.Ref attached;
            try {
                hook.concepts().manipulateConcept(strongest, 3.0);
                hook.concepts().clampConcept(5, 2.0);
                hook.concepts().addToConcept(7, 0.5);
                hook.concepts().setMode(mode);
                attached = logits(Interventions.none());
            } finally {
                hook.detach();
            }
            Fixture.Ref spliced = logits(SaeHook.splice(lm, LAYER, sae, mode, hook.concepts().manipulations()));
            assertThat(maxDiff(spliced, attached)).as(mode.name()).isLessThan(1e-6);
            assertThat(maxDiff(spliced, logits(Interventions.none()))).as(mode.name()).isGreaterThan(1e-3);
        }
    }

    @Test
    void theEditsAreCopiedWhenSpliced() {
        ConceptManipulations edits = edits();
        Interventions splice = SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, edits);
        Fixture.Ref before = logits(splice);
        edits.reset();
        assertThat(maxDiff(logits(splice), before)).isZero();
    }

    @Test
    void concurrentRunsWithAndWithoutTheSpliceGiveWhatEachGivesAlone() throws Exception {
        List<Interventions> variants = List.of(Interventions.none(),
                SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, edits()),
                SaeHook.splice(lm, LAYER, sae, SaeMode.REPLACE, edits()));
        List<float[]> alone = new ArrayList<>();
        for (Interventions iv : variants) {
            alone.add(logits(iv).values());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                Interventions iv = variants.get(i % variants.size());
                futures.add(pool.submit(() -> logits(iv).values()));
            }
            for (int i = 0; i < futures.size(); i++) {
                assertThat(futures.get(i).get()).as("run %d", i).containsExactly(alone.get(i % variants.size()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badSplicesFailBeforeAnyForward() {
        RecordingDetector watch = new RecordingDetector("lm_head");
        String id = lm.layers().registerHook("lm_head", watch);
        try (TopKSae narrow = new TopKSae(16, 32, 4)) {
            assertThatThrownBy(() -> SaeHook.splice(lm, "blocks.0.hook_resid_psot", sae, SaeMode.STEER, edits()))
                    .isInstanceOf(UnknownLayerException.class).hasMessageContaining("blocks.0.hook_resid_post");
            assertThatThrownBy(() -> SaeHook.splice(lm, LAYER, narrow, SaeMode.STEER,
                    new ConceptManipulations(16)))
                    .isInstanceOf(SaeException.class).hasMessageContaining("d_in=32").hasMessageContaining("width 64");
            assertThatThrownBy(() -> SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, new ConceptManipulations(16)))
                    .hasMessageContaining("16 latents").hasMessageContaining("has 128");
            assertThatThrownBy(() -> SaeHook.splice(lm, LAYER, sae, SaeMode.OBSERVE, edits()))
                    .hasMessageContaining("STEER or REPLACE");
            ConceptManipulations generated = edits();
            generated.setScope(PositionScope.GENERATED);
            assertThatThrownBy(() -> SaeHook.splice(lm, LAYER, sae, SaeMode.STEER, generated))
                    .hasMessageContaining("GENERATED");
            assertThat(watch.calls).as("forwards the registered detector saw").isZero();
        } finally {
            lm.layers().unregisterHook(id);
        }
    }
}
