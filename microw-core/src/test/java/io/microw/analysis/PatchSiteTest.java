package io.microw.analysis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The names front ends use for patching sites and path patching channels. */
class PatchSiteTest {

    @Test
    void sitesAndChannelsRoundTripByNameAndUnknownNamesAreListed() {
        for (String id : PatchSite.ids()) {
            assertThat(PatchSite.fromId(id).id()).isEqualTo(id);
        }
        assertThat(PatchSite.values()).filteredOn(PatchSite::alignsLengths).containsExactly(PatchSite.HEADS);
        assertThatThrownBy(() -> PatchSite.fromId("resid")).hasMessageContaining("resid-pre");
        assertThat(PathPatching.Channel.ids()).containsExactly("q", "k", "v");
        assertThat(PathPatching.Channel.fromId(" K ")).isEqualTo(PathPatching.Channel.K);
        assertThatThrownBy(() -> PathPatching.Channel.fromId("z")).hasMessageContaining("[q, k, v]");
    }
}
