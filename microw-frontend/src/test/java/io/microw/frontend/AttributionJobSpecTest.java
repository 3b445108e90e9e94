package io.microw.frontend;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.analysis.PatchSite;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The attribution job's defaults, the sites it estimates, and the job parameters it is stored as. */
class AttributionJobSpecTest {

    private static final PromptPair PROMPTS = new PromptPair("c", "d", " a", " w");

    @Test
    void theDefaultsEstimateTheResidualStreamWithoutComparing() {
        AttributionJobSpec spec = AttributionJobSpec.of(PROMPTS);
        assertThat(spec.what()).isEqualTo(PatchSite.RESID_PRE);
        assertThat(spec.compare()).isFalse();
    }

    @Test
    void onlyTheSitesAttributionPatchingEstimatesAreAccepted() {
        assertThat(AttributionJobSpec.ids()).containsExactly("resid-pre", "attn-out", "mlp-out", "heads");
        assertThat(AttributionJobSpec.site("heads")).isEqualTo(PatchSite.HEADS);
        assertThatThrownBy(() -> AttributionJobSpec.site("resid-mid")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'resid-mid' is not one of resid-pre, attn-out, mlp-out, heads (attribution patching has no "
                        + "estimate of resid-mid; exact patching of resid-mid measures it)");
        assertThatThrownBy(() -> AttributionJobSpec.site("path")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'path' is not one of resid-pre, attn-out, mlp-out, heads");
        assertThatThrownBy(() -> new AttributionJobSpec(PatchSite.RESID_MID, false, PROMPTS))
                .hasMessageStartingWith("'resid-mid' is not one of");
    }

    @Test
    void theParametersReadBackAsTheSpec() {
        AttributionJobSpec spec = new AttributionJobSpec(PatchSite.HEADS, true, PROMPTS);
        ObjectNode params = JsonNodeFactory.instance.objectNode();
        spec.writeTo(params);
        assertThat(params.toString()).isEqualTo("{\"what\":\"heads\",\"clean\":\"c\",\"corrupt\":\"d\",\"answer\":\" a\","
                + "\"wrong\":\" w\",\"compare\":true}");
        assertThat(AttributionJobSpec.readFrom(params)).isEqualTo(spec);
    }
}
