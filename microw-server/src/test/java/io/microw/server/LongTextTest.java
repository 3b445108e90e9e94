package io.microw.server;

import io.microw.demo.BrownGpt2;
import io.microw.lm.LanguageModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;


import static io.microw.server.MicrowServerTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Texts longer than brown-gpt2's context (256 tokens) are refused with 400 by every endpoint that reads texts, with
 * the text's token count and the context in the message; a text of exactly the context is served whole.
 */
class LongTextTest extends DemoServerTest {


    /** A text of exactly the context's length, and one of a token more. */
    static String fits;
    static String tooLong;
    static int context;

    @BeforeAll
    static void start() throws Exception {
        try (LanguageModel lm = BrownGpt2.load()) {
            context = lm.config().maxPositions();
            StringBuilder text = new StringBuilder("The");
            while (lm.tokenizer().encode(text.toString()).length < context) {
                text.append(" word");
            }
            fits = text.toString();
            tooLong = fits + " word";
            assertThat(lm.tokenizer().encode(fits)).hasSize(context);
            assertThat(lm.tokenizer().encode(tooLong)).hasSize(context + 1);
        }
    }

    static String json(String s) {
        return Http.MAPPER.valueToTree(s).toString();
    }

    static void assertRefused(Http.Resp r, int index) {
        assertError(r, 400, "text " + index + " has " + (context + 1) + " tokens");
        assertThat(r.json().path("error").asText()).contains("(" + context + " tokens)").contains("brown-gpt2");
    }

    @Test
    void inferRefusesATextLongerThanTheContextAsGenerateDoesAndServesOneOfExactlyIt() {
        assertError(http.post(M + "/generate", "{\"prompt\": " + json(tooLong) + ", \"max_new_tokens\": 1}"), 400,
                "context");
        assertRefused(http.post(M + "/infer", "{\"texts\": [\"The jury said\", " + json(tooLong) + "]}"), 1);
        Http.Resp ok = http.post(M + "/infer", "{\"text\": " + json(fits) + "}");
        assertThat(ok.status()).as(ok.raw()).isEqualTo(200);
        assertThat(ok.json().path("results").get(0).path("tokens")).hasSize(context);
    }

    @Test
    void saeInferRefusesATextLongerThanTheContextAndServesOneOfExactlyIt() {
        assertRefused(http.post("/api/saes/" + sae + "/infer", "{\"text\": " + json(tooLong) + "}"), 0);
        Http.Resp ok = http.post("/api/saes/" + sae + "/infer", "{\"text\": " + json(fits) + "}");
        assertThat(ok.status()).as(ok.raw()).isEqualTo(200);
        assertThat(ok.json().path("tokens")).hasSize(context);
    }

    @Test
    void topTextsRefuseATextLongerThanTheContextBeforeRunningAny() {
        assertRefused(http.post("/api/saes/" + sae + "/top-texts", "{\"texts\": [\"The jury said\", \"It was\", "
                + json(tooLong) + "]}"), 2);
        assertError(http.get("/api/saes/" + sae + "/latents"), 409, "top-texts first"); // nothing was kept
        Http.Resp ok = http.post("/api/saes/" + sae + "/top-texts", "{\"texts\": [" + json(fits) + "]}");
        assertThat(ok.status()).as(ok.raw()).isEqualTo(200);
        assertThat(ok.json().path("tokens").asInt()).isEqualTo(context);
    }
}
