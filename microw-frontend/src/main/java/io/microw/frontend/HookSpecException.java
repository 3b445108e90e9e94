package io.microw.frontend;

/**
 * A hook a front end was asked for that cannot be registered: an unknown type, a missing factor, an unknown or
 * container layer, two controllers on one layer, a layer both captured and changed. The message reads the same from
 * the command line and the server; each front end adds how its user named the hook.
 */
public final class HookSpecException extends IllegalArgumentException {

    private final transient HookSpec spec;

    /**
     * A refused hook.
     *
     * @param spec    the hook refused, or null when it could not be parsed
     * @param message what is wrong and what would be right
     */
    public HookSpecException(HookSpec spec, String message) {
        super(message);
        this.spec = spec;
    }

    /**
     * A refused hook, with the core's refusal as its cause.
     *
     * @param spec    the hook refused
     * @param message what is wrong and what would be right
     * @param cause   the core's refusal
     */
    public HookSpecException(HookSpec spec, String message, Throwable cause) {
        super(message, cause);
        this.spec = spec;
    }

    /**
     * The hook refused.
     *
     * @return the hook, or null when it could not be parsed
     */
    public HookSpec spec() {
        return spec;
    }
}
