package io.microw.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.PathPatching;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a patching job measures, whichever front end asked for it ({@code microw patch}, or {@code POST
 * /api/models/{id}/patching}): what to patch, for path patching the receiving heads and their input channel, the clean
 * and corrupted prompts and the answer and wrong tokens; with the defaults here and nowhere else. The prompts' tokens
 * are checked against the model when the job runs.
 *
 * @param what      what to patch
 * @param receivers the heads path patching ends at (empty for any other target)
 * @param channel   their input the paths end at (null for any other target)
 * @param prompts   the prompts and the answer and wrong tokens
 */
public record PatchingJobSpec(PatchTarget what, List<PathPatching.Head> receivers, PathPatching.Channel channel,
                              PromptPair prompts) {

    /** What is patched when nothing is named: the residual stream before each block. */
    public static final String DEFAULT_WHAT = "resid-pre";

    /** The receivers' input path patching ends at when none is named: the query. */
    public static final PathPatching.Channel DEFAULT_CHANNEL = PathPatching.Channel.Q;

    /**
     * Checks the fields and fills the defaults: a null {@code what} patches {@value #DEFAULT_WHAT}, path patching
     * without a channel ends at {@link #DEFAULT_CHANNEL}. Path patching without receivers, or receivers or a channel
     * for another target, is an {@link IllegalArgumentException}.
     */
    public PatchingJobSpec {
        what = what == null ? PatchTarget.fromId(DEFAULT_WHAT) : what;
        receivers = receivers == null ? List.of() : List.copyOf(receivers);
        Objects.requireNonNull(prompts, "prompts");
        if (what.isPath()) {
            if (receivers.isEmpty()) {
                throw new IllegalArgumentException("path patching needs receivers: the heads the paths end at");
            }
            channel = channel == null ? DEFAULT_CHANNEL : channel;
        } else if (!receivers.isEmpty() || channel != null) {
            throw new IllegalArgumentException("receivers and a channel are for path patching, not for '" + what.id()
                    + "'");
        }
    }

    /**
     * A job patching {@value #DEFAULT_WHAT}.
     *
     * @param prompts the prompts and tokens
     * @return the spec
     */
    public static PatchingJobSpec of(PromptPair prompts) {
        return new PatchingJobSpec(null, null, null, prompts);
    }

    /**
     * Writes the spec into a job's parameters: {@code what}, {@code clean}, {@code corrupt}, {@code answer}, {@code
     * wrong}, and for path patching {@code receivers} ({@code [{"layer", "head"}]}) and {@code channel}.
     *
     * @param params the job's parameters
     */
    public void writeTo(ObjectNode params) {
        params.put("what", what.id());
        prompts.writeTo(params);
        if (what.isPath()) {
            ArrayNode heads = params.putArray("receivers");
            receivers.forEach(h -> heads.addObject().put("layer", h.layer()).put("head", h.head()));
            params.put("channel", channel.id());
        }
    }

    /**
     * The spec {@link #writeTo} wrote; an absent {@code what} or {@code channel} takes its default.
     *
     * @param params a job's parameters
     * @return the spec
     */
    public static PatchingJobSpec readFrom(JsonNode params) {
        List<PathPatching.Head> receivers = new ArrayList<>();
        params.path("receivers").forEach(h -> receivers.add(new PathPatching.Head(h.path("layer").asInt(),
                h.path("head").asInt())));
        return new PatchingJobSpec(params.hasNonNull("what") ? PatchTarget.fromId(params.get("what").asText()) : null,
                receivers, params.hasNonNull("channel") ? PathPatching.Channel.fromId(params.get("channel").asText())
                : null, PromptPair.readFrom(params));
    }
}
