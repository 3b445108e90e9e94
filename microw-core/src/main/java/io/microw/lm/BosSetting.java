package io.microw.lm;

import io.microw.hooks.Hook;

import java.util.List;
import java.util.Optional;

/**
 * Which {@code prepend_bos} a call that tokenizes texts uses: the call's {@link InferenceOptions#prependBos()}, else
 * the model's {@link LoadOptions#prependBos()}, else what the enabled hooks ask for ({@link Hook#prependBos()}, an
 * attached SAE's training setting) when the call runs hooks, else none (the tokenizer's own special tokens).
 */
final class BosSetting {

    private BosSetting() {
    }

    /**
     * The setting, or empty for the tokenizer's own special tokens.
     *
     * @throws IllegalStateException when two enabled hooks ask for different settings and neither the call nor the
     *                               model chooses
     */
    static Optional<Boolean> resolve(InferenceOptions call, LoadOptions model, List<Hook> hooks) {
        if (call.prependBos().isPresent()) {
            return call.prependBos();
        }
        if (model.prependBos().isPresent() || !call.withHooks()) {
            return model.prependBos();
        }
        Hook first = null;
        for (Hook hook : hooks) {
            Optional<Boolean> wanted = hook.prependBos();
            if (!hook.isEnabled() || wanted.isEmpty()) {
                continue;
            }
            if (first == null) {
                first = hook;
            } else if (!first.prependBos().equals(wanted)) {
                throw new IllegalStateException("hooks '" + first.id() + "' (prepend_bos=" + first.prependBos().get()
                        + ") and '" + hook.id() + "' (prepend_bos=" + wanted.get() + ") ask for different BOS"
                        + " settings; choose one with InferenceOptions.defaults().withPrependBos(...) for the call or"
                        + " LoadOptions.defaults().withPrependBos(...) for the model, or detach one of them");
            }
        }
        return first == null ? Optional.empty() : first.prependBos();
    }
}
