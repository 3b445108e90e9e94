package io.microw.frontend;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.PatchSite;
import io.microw.analysis.PathPatching;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The patching job's defaults, its targets' names, its checks, and the job parameters it is stored as. */
class PatchingJobSpecTest {

    private static final PromptPair PROMPTS = new PromptPair("c", "d", " a", " w");

    private static final List<PathPatching.Head> RECEIVERS = List.of(new PathPatching.Head(3, 0));

    @Test
    void theDefaultsPatchTheResidualStreamAndPathPatchingEndsAtTheQuery() {
        PatchingJobSpec spec = PatchingJobSpec.of(PROMPTS);
        assertThat(spec.what()).isEqualTo(new PatchTarget(PatchSite.RESID_PRE));
        assertThat(spec.receivers()).isEmpty();
        assertThat(spec.channel()).isNull();
        PatchingJobSpec path = new PatchingJobSpec(PatchTarget.path(), RECEIVERS, null, PROMPTS);
        assertThat(path.channel()).isEqualTo(PathPatching.Channel.Q);
    }

    @Test
    void targetsAreNamedByTheSitesIdsAndPath() {
        assertThat(PatchTarget.ids()).endsWith("path").startsWith("resid-pre").contains("heads");
        assertThat(PatchTarget.fromId("heads")).isEqualTo(new PatchTarget(PatchSite.HEADS));
        assertThat(PatchTarget.fromId("path").isPath()).isTrue();
        assertThatThrownBy(() -> PatchTarget.fromId("neurons")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'neurons' is not one of " + String.join(", ", PatchSite.ids()) + ", path");
    }

    @Test
    void pathPatchingNeedsReceiversAndOtherTargetsTakeNone() {
        assertThatThrownBy(() -> new PatchingJobSpec(PatchTarget.path(), List.of(), null, PROMPTS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("path patching needs receivers: the heads the paths end at");
        assertThatThrownBy(() -> new PatchingJobSpec(PatchTarget.fromId("heads"), RECEIVERS, null, PROMPTS))
                .hasMessage("receivers and a channel are for path patching, not for 'heads'");
        assertThatThrownBy(() -> new PatchingJobSpec(null, null, PathPatching.Channel.V, PROMPTS))
                .hasMessage("receivers and a channel are for path patching, not for 'resid-pre'");
    }

    @Test
    void theParametersReadBackAsTheSpec() {
        PatchingJobSpec path = new PatchingJobSpec(PatchTarget.path(), RECEIVERS, PathPatching.Channel.K, PROMPTS);
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        path.writeTo(params);
        assertThat(params.toString()).isEqualTo("{\"what\":\"path\",\"clean\":\"c\",\"corrupt\":\"d\",\"answer\":\" a\","
                + "\"wrong\":\" w\",\"receivers\":[{\"layer\":3,\"head\":0}],\"channel\":\"k\"}");
        assertThat(PatchingJobSpec.readFrom(params)).isEqualTo(path);
    }
}
