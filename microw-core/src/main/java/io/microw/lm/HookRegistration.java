package io.microw.lm;

import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.Hook;

/** A hook registered on a canonical layer name. */
record HookRegistration(String layer, Hook hook) {

    boolean isDetector() {
        return hook instanceof Detector;
    }

    boolean isController() {
        return hook instanceof Controller;
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
