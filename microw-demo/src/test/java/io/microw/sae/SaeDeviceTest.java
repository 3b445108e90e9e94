package io.microw.sae;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.concepts.OfflineTopTexts;
import io.microw.concepts.SaeHook;
import io.microw.concepts.TopTextTracker;
import io.microw.demo.BrownCorpus;
import io.microw.demo.BrownGpt2;
import io.microw.eval.SaeEvaluator;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.sae.train.SaeTrainer;
import io.microw.sae.train.SaeTrainingConfig;
import io.microw.sae.train.StoreActivationSource;
import io.microw.store.LocalStore;
import io.microw.store.StoreDataLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * No cross-device operation: every array an SAE is given, by its helpers or by the model it is attached to, comes
 * from a manager of the SAE ({@link Sae#newManager()}) or of the model, never from a manager a helper made on
 * DJL's default device. DJL has one CPU device ({@code Device.of("cpu", 1)} is {@code Device.cpu()}), so two CPU
 * managers cannot be told apart by device; they are told apart by lineage: the SAE's own manager and the model's are
 * two base managers, and an array belongs to the one its manager descends from. A helper that made its arrays with
 * {@code NDManager.newBaseManager()} (on the default device, the GPU under a CUDA engine) would give the SAE arrays
 * of a third base manager, and these tests would fail.
 */
class SaeDeviceTest {

    private static final String LAYER = "transformer.h.1";

    private static LanguageModel lm;
    private static List<String> texts;
    private static NDManager modelRoot;
    private TrackingSae sae;

    @BeforeAll
    static void load() {
        lm = BrownGpt2.load();
        texts = BrownCorpus.load().sentences(BrownCorpus.Split.VALIDATION).stream()
                .map(BrownCorpus.Sentence::text).limit(8).toList();
        try (InferenceResult r = lm.inference().executeInference(texts.subList(0, 1))) {
            modelRoot = root(r.logits().getManager());
        }
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    @BeforeEach
    void newSae() {
        sae = new TrackingSae(lm.config().hiddenSize(), 64);
    }

    @AfterEach
    void closeSae() {
        sae.close();
    }

    @Test
    void anSaeLivesOnTheCpuAndMovingItToItsDeviceKeepsItAndItsParameters() {
        float[] wEnc = sae.parameter("W_enc");
        assertThat(sae.device()).isEqualTo(Device.cpu());
        assertThat(sae.to(lm.device())).isSameAs(sae);
        assertThat(sae.device()).isEqualTo(lm.device());
        assertThat(sae.parameter("W_enc")).containsExactly(wEnc);
        try (NDManager m = sae.newManager()) {
            assertThat(m.getDevice()).isEqualTo(sae.device());
            assertThat(root(m)).isSameAs(sae.ownManager());
        }
    }

    @Test
    void anSaeOnAnotherDeviceThanTheModelIsRefusedWithTheWayOut() {
        sae.requireDevice(lm.device());
        assertThatThrownBy(() -> sae.requireDevice(Device.gpu()))
                .isInstanceOf(SaeException.class)
                .hasMessageContaining("the SAE is on device cpu()")
                .hasMessageContaining("sae.to(lm.device())");
    }

    @Test
    void encodeAndDecodeOfArraysFromTheSaesManagerStayInIt() {
        try (NDManager m = sae.newManager()) {
            NDArray x = m.randomNormal(new Shape(3, sae.dIn()));
            NDArray codes = sae.encode(x);
            NDArray out = sae.decode(codes);
            assertThat(root(codes.getManager())).isSameAs(sae.ownManager());
            assertThat(root(out.getManager())).isSameAs(sae.ownManager());
            sae.assertOnlyOwnOrModelArrays();
            assertThat(sae.calls.get()).isEqualTo(2);
        }
    }

    @Test
    void theSaeHookInAForwardGetsTheModelsArrays() {
        SaeHook hook = SaeHook.attach(lm, sae, LAYER);
        try {
            lm.inference().executeInference(texts).close();
        } finally {
            hook.detach();
        }
        assertThat(sae.calls.get()).isPositive();
        sae.assertOnlyOwnOrModelArrays();
    }

    @Test
    void evaluationMakesTheSaesArraysInTheSaesManager() {
        new SaeEvaluator(lm).batchSize(4).evaluate(sae, LAYER, texts);
        assertThat(sae.handedOut).isNotEmpty();
        sae.assertOnlyOwnOrModelArrays();
    }

    @Test
    void topTextsFromAStoreAndTrainingMakeTheirArraysInTheSaesManager(@TempDir Path dir) {
        LocalStore store = new LocalStore(dir.resolve("store"));
        String run = lm.activations().saveActivations(texts, List.of(LAYER),
                SaveOptions.into(dir.resolve("store")).withBatchSize(4));
        TopTextTracker tracker = new TopTextTracker(sae.dSae(), 3, 0, 2, lm.tokenizer()::tokenText);
        assertThat(OfflineTopTexts.fromStore(store, run, LAYER, sae, tracker)).isEqualTo(2);
        assertThat(sae.handedOut).hasSize(2);
        sae.assertOnlyOwnOrModelArrays();

        sae.handedOut.clear();
        StoreDataLoader loader = StoreDataLoader.builder(store, run, LAYER).build();
        new SaeTrainer(sae, SaeTrainingConfig.builder().batchSize(32).epochs(1).threads(1).build())
                .train(new StoreActivationSource(loader));
        // each gradient step makes its engine arrays in a manager of the SAE's
        assertThat(sae.handedOut).isNotEmpty();
        assertThat(sae.device()).isEqualTo(Device.cpu());
    }

    /** The base manager {@code m} descends from (the child of the engine's system manager). */
    private static NDManager root(NDManager m) {
        NDManager current = m;
        while (current.getParentManager() != null && current.getParentManager().getParentManager() != null) {
            current = current.getParentManager();
        }
        return current;
    }

    /**
     * A ReLU SAE that records the managers it hands out and, for each array it is given to encode or decode, whether
     * that array belongs to this SAE's own manager or to the model's.
     */
    private static final class TrackingSae extends ReluSae {

        final Set<NDManager> handedOut = ConcurrentHashMap.newKeySet();
        final List<String> foreign = Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger calls = new AtomicInteger();

        TrackingSae(int dIn, int dSae) {
            super(SaeConfig.of(SaeArchitecture.STANDARD, dIn, dSae, 0), 5);
        }

        @Override
        public NDManager newManager() {
            NDManager m = super.newManager();
            handedOut.add(m);
            return m;
        }

        /** The SAE's own manager: the parent of every manager it hands out. */
        NDManager ownManager() {
            try (NDManager child = super.newManager()) {
                return child.getParentManager();
            }
        }

        @Override
        protected NDArray encodeRows(NDArray x2d) {
            record("encode", x2d);
            return super.encodeRows(x2d);
        }

        @Override
        public NDArray decode(NDArray codes) {
            record("decode", codes);
            return super.decode(codes);
        }

        private void record(String what, NDArray x) {
            calls.incrementAndGet();
            NDManager r = root(x.getManager());
            if (r != ownManager() && r != modelRoot) {
                foreign.add(what + " was given an array of " + x.getManager() + " on " + x.getDevice()
                        + ", neither the SAE's manager nor the model's");
            }
        }

        void assertOnlyOwnOrModelArrays() {
            assertThat(foreign).isEmpty();
        }
    }
}
