package io.microw.lm;

import io.microw.hooks.Hook;

import java.util.List;
import java.util.Optional;

/**
 * Which {@code prepend_bos} a call that tokenizes texts uses: the call's {@link InferenceOptions#prependBos()}, else
 * the model's {@link LoadOptions#prependBos()}, else what the enabled hooks ask for ({@link Hook#prependBos()}, an
 * attached SAE's training setting) when the call runs hooks and the tokenizer can follow them (a request for a BOS
 * token is passed over when the tokenizer has none: {@code ModelMismatch} reports that when the SAE is attached), else
 * none (the tokenizer's own special tokens).
 */
final class BosSetting {

    private BosSetting() {
    }

    /**
     * The setting, or empty for the tokenizer's own special tokens.
     *
     * @param hasBos whether the tokenizer has a BOS token to put first
     * @throws IllegalStateException when two enabled hooks ask for different settings and neither the call nor the
     *                               model chooses
     */
    static Optional<Boolean> resolve(InferenceOptions call, LoadOptions model, List<Hook> hooks, boolean hasBos) {
        if (call.prependBos().isPresent()) {
            return call.prependBos();
        }
        if (model.prependBos().isPresent() || !call.withHooks()) {
            return model.prependBos();
        }
        Hook first = null;
        for (Hook hook : hooks) {
            Optional<Boolean> wanted = hook.prependBos();
            if (!hook.isEnabled() || wanted.isEmpty() || (wanted.get() && !hasBos)) {
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
