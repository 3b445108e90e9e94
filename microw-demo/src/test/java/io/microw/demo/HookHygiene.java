package io.microw.demo;

import io.microw.hooks.Hook;
import io.microw.lm.LanguageModel;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared test teardown: a test must not leave hooks registered on a model other tests reuse. */
public final class HookHygiene {

    private HookHygiene() {
    }

    /** Removes every hook still registered and fails if there was one. */
    public static void assertNoHooksLeft(LanguageModel lm) {
        List<Hook> left = lm.layers().allHooks();
        left.forEach(h -> lm.layers().unregisterHook(h.id()));
        assertThat(left).as("hooks left registered").isEmpty();
    }
}
