package io.microw.lm;

import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.Hook;
import io.microw.hooks.HookType;

/** A hook registered on a canonical layer name. */
record HookRegistration(String layer, Hook hook) {

    boolean isDetector() {
        return hook instanceof Detector;
    }

    boolean isController() {
        return hook instanceof Controller;
    }

    /** Whether the hook runs in a gradient call's backward pass rather than in the forward. */
    boolean backward() {
        return hook.hookType() == HookType.BACKWARD;
    }

    /** A detector that is not also a controller, or the reverse. */
    String pureKind() {
        if (isDetector() && !isController()) {
            return "detector";
        }
        if (isController() && !isDetector()) {
            return "controller";
        }
        return null;
    }
}
