package io.microw.concepts;

import io.microw.concepts.ConceptDictionary.Concept;
import io.microw.concepts.ConceptDictionary.Duplicates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConceptDictionaryTest {

    @TempDir
    Path dir;

    private static ConceptDictionary sample() {
        ConceptDictionary d = ConceptDictionary.forLatents(16);
        d.set(0, "noun", "fires on nouns", 0.8);
        d.set(3, "quote, \"opening\"", "line one\nline two, with comma", 0.25, "manual");
        d.set(15, "past verb", "", 1e-7, "labelled-discovery");
        return d;
    }

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    @Test
    void getSetFind() {
        ConceptDictionary d = sample();
        assertThat(d.size()).isEqualTo(3);
        assertThat(d.get(0)).contains(new Concept(0, "noun", "fires on nouns", 0.8, null));
        assertThat(d.get(1)).isEmpty();
        assertThat(d.find("VERB")).extracting(Concept::latent).containsExactly(15);
        assertThat(d.find("o")).extracting(Concept::latent).containsExactly(0, 3);
        d.set(0, "proper noun", null, 0.9);
        assertThat(d.get(0).orElseThrow().description()).isEmpty();
        assertThat(d.remove(0)).isTrue();
        assertThat(d.remove(0)).isFalse();
        assertThatThrownBy(() -> d.get(16)).isInstanceOf(ConceptException.class).hasMessageContaining("latent 16")
                .hasMessageContaining("0..15");
        assertThatThrownBy(() -> d.set(-1, "x", "", 0)).hasMessageContaining("0..15");
        assertThatThrownBy(() -> d.set(1, "x", "", Double.NaN)).hasMessageContaining("finite");
        assertThatThrownBy(() -> d.set(1, " ", "", 0.5)).hasMessageContaining("blank");
        assertThat(d.validate(16)).isSameAs(d);
        assertThatThrownBy(() -> d.validate(32)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("16 latents").hasMessageContaining("32");
    }

    @Test
    void jsonAndCsvRoundTrip() {
        ConceptDictionary d = sample();
        for (String name : List.of("c.json", "c.csv")) {
            Path p = dir.resolve("sub").resolve(name);
            d.save(p);
            ConceptDictionary back = ConceptDictionary.load(p, 16);
            assertThat(back.concepts()).as(name).isEqualTo(d.concepts());
            assertThat(back.dSae()).isEqualTo(16);
            assertThat(back.origin()).contains(p);
            // saving again over the file replaces it, no temporary file left behind
            back.set(7, "new", "", 0.5);
            back.save(p);
            assertThat(ConceptDictionary.load(p, 16).get(7)).isPresent();
        }
        try (var files = Files.list(dir.resolve("sub"))) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("c.json", "c.csv");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        // JSON states its size; a directory means its concepts.json (mi-crow's save layout)
        d.save(dir.resolve("concepts.json"));
        assertThat(ConceptDictionary.load(dir).concepts()).isEqualTo(d.concepts());
    }

    @Test
    void loadsMiCrowJsonFormats() throws IOException {
        // what mi-crow's ConceptDictionary.save writes, including the old list form
        Path saved = write("concepts.json", """
                {
                  "n_size": 8,
                  "concepts": {
                    "0": {"name": "concept_0", "score": 0.8},
                    "5": [{"name": "low", "score": 0.1}, {"name": "high", "score": 0.6}],
                    "6": []
                  }
                }""");
        ConceptDictionary d = ConceptDictionary.load(saved);
        assertThat(d.dSae()).isEqualTo(8);
        assertThat(d.concepts()).containsExactly(new Concept(0, "concept_0", "", 0.8, null),
                new Concept(5, "high", "", 0.6, null));
        // what mi-crow's from_json reads: the bare map, no n_size
        Path bare = write("bare.json", "{\"1\": [{\"name\": \"concept_1\", \"score\": 0.6}], \"2\": {\"name\": \"b\", "
                + "\"score\": \"0.5\"}}");
        ConceptDictionary b = ConceptDictionary.load(bare, 4);
        assertThat(b.get(1).orElseThrow().name()).isEqualTo("concept_1");
        assertThat(b.get(2).orElseThrow().score()).isEqualTo(0.5);
        assertThatThrownBy(() -> ConceptDictionary.load(bare)).hasMessageContaining("n_size")
                .hasMessageContaining("bare.json");
    }

    @Test
    void loadsMiCrowCsv() throws IOException {
        // as Python's csv.writer writes it: CRLF, quoting only where needed
        Path csv = write("concepts.csv", "neuron_idx,concept_name,score\r\n0,concept_0,0.8\r\n2,\"a, b\",0.25\r\n\r\n");
        ConceptDictionary d = ConceptDictionary.load(csv, 3);
        assertThat(d.concepts()).containsExactly(new Concept(0, "concept_0", "", 0.8, null),
                new Concept(2, "a, b", "", 0.25, null));
        // columns in another order, extra column
        Path other = write("other.csv", "score,extra,concept_name,neuron_idx\n0.5,x,noun,1\n");
        assertThat(ConceptDictionary.load(other, 3).get(1).orElseThrow().name()).isEqualTo("noun");
        // mi-crow keeps the highest-scoring row of a neuron listed twice; so does KEEP_HIGHEST_SCORE
        Path twice = write("twice.csv", "neuron_idx,concept_name,score\n0,concept_0,0.8\n0,concept_1,0.6\n"
                + "1,concept_2,0.9\n");
        ConceptDictionary best = ConceptDictionary.load(twice, 3, Duplicates.KEEP_HIGHEST_SCORE);
        assertThat(best.get(0).orElseThrow().name()).isEqualTo("concept_0");
        assertThat(best.get(1).orElseThrow().name()).isEqualTo("concept_2");
        assertThatThrownBy(() -> ConceptDictionary.load(twice, 3)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("twice.csv").hasMessageContaining("latent 0 appears twice")
                .hasMessageContaining("line 2").hasMessageContaining("line 3");
    }

    @Test
    void badInputsGiveClearErrors() throws IOException {
        Path wrongCount = write("w.json", "{\"n_size\": 8, \"concepts\": {}}");
        assertThatThrownBy(() -> ConceptDictionary.load(wrongCount, 16)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("w.json").hasMessageContaining("8 latents").hasMessageContaining("16 latents");
        Path outOfRange = write("r.json", "{\"n_size\": 8, \"concepts\": {\"8\": {\"name\": \"x\", \"score\": 1}}}");
        assertThatThrownBy(() -> ConceptDictionary.load(outOfRange)).hasMessageContaining("r.json")
                .hasMessageContaining("latent index 8").hasMessageContaining("0..7");
        Path csvRange = write("r.csv", "neuron_idx,concept_name,score\n0,a,1\n-1,b,1\n");
        assertThatThrownBy(() -> ConceptDictionary.load(csvRange, 4)).hasMessageContaining("r.csv")
                .hasMessageContaining("line 3").hasMessageContaining("latent index -1").hasMessageContaining("0..3");
        Path dupKey = write("d.json", "{\"n_size\": 8, \"concepts\": {\"1\": {\"name\": \"a\", \"score\": 1}, "
                + "\"1\": {\"name\": \"b\", \"score\": 1}}}");
        assertThatThrownBy(() -> ConceptDictionary.load(dupKey)).hasMessageContaining("d.json")
                .hasMessageContaining("Duplicate");
        Path dupValue = write("d2.json", "{\"n_size\": 8, \"concepts\": {\"1\": {\"name\": \"a\", \"score\": 1}, "
                + "\"01\": {\"name\": \"b\", \"score\": 1}}}");
        assertThatThrownBy(() -> ConceptDictionary.load(dupValue)).hasMessageContaining("latent 1 appears twice");
        Path nan = write("n.json", "{\"n_size\": 8, \"concepts\": {\"1\": {\"name\": \"a\", \"score\": NaN}}}");
        assertThatThrownBy(() -> ConceptDictionary.load(nan)).hasMessageContaining("n.json")
                .hasMessageContaining("latent 1").hasMessageContaining("non-finite");
        Path csvNan = write("n.csv", "neuron_idx,concept_name,score\n1,a,nan\n");
        assertThatThrownBy(() -> ConceptDictionary.load(csvNan, 4)).hasMessageContaining("non-finite");
        Path malformed = write("m.json", "{\"n_size\": 8, \"concepts\": {");
        assertThatThrownBy(() -> ConceptDictionary.load(malformed)).isInstanceOf(ConceptException.class)
                .hasMessageContaining("m.json").hasMessageContaining("not valid JSON");
        Path noScore = write("s.json", "{\"n_size\": 8, \"concepts\": {\"1\": {\"name\": \"a\"}}}");
        assertThatThrownBy(() -> ConceptDictionary.load(noScore)).hasMessageContaining("no \"score\"");
        Path badIndex = write("i.csv", "neuron_idx,concept_name,score\nx,a,1\n");
        assertThatThrownBy(() -> ConceptDictionary.load(badIndex, 4)).hasMessageContaining("'x' is not an integer");
        Path badScore = write("s.csv", "neuron_idx,concept_name,score\n1,a,high\n");
        assertThatThrownBy(() -> ConceptDictionary.load(badScore, 4)).hasMessageContaining("'high' is not a number");
        Path noHeader = write("h.csv", "0,a,1\n");
        assertThatThrownBy(() -> ConceptDictionary.load(noHeader, 4)).hasMessageContaining("neuron_idx");
        Path ragged = write("g.csv", "neuron_idx,concept_name,score\n1,a\n");
        assertThatThrownBy(() -> ConceptDictionary.load(ragged, 4)).hasMessageContaining("line 2")
                .hasMessageContaining("expected 3 fields");
        Path unclosed = write("u.csv", "neuron_idx,concept_name,score\n1,\"a,1\n");
        assertThatThrownBy(() -> ConceptDictionary.load(unclosed, 4)).hasMessageContaining("never closed");
        assertThatThrownBy(() -> ConceptDictionary.load(write("a.txt", "x"), 4)).hasMessageContaining(".json or .csv");
        assertThatThrownBy(() -> ConceptDictionary.load(dir.resolve("missing.json")))
                .hasMessageContaining("does not exist");
        assertThatThrownBy(() -> ConceptDictionary.load(write("c.csv", "neuron_idx,concept_name,score\n")))
                .hasMessageContaining("latent count");
    }
}
