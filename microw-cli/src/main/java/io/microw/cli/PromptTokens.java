package io.microw.cli;

import io.microw.lm.LanguageModel;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Tokenizes what the analysis commands ({@code microw patch}, {@code microw lens}) were given, refusing with a
 * one-line usage error what cannot be used: an empty prompt, or an answer that is not exactly one token.
 */
final class PromptTokens {

    private final CommandLine cmd;
    private final LanguageModel lm;

    PromptTokens(CommandLine cmd, LanguageModel lm) {
        ModelRunCommand.requireTokenizer(lm);
        this.cmd = cmd;
        this.lm = lm;
    }

    /** The ids of {@code text}, given with {@code flag}; refused when it has no token. */
    long[] prompt(String flag, String text) {
        long[] ids = lm.tokenizer().encode(text);
        if (ids.length == 0) {
            throw new ParameterException(cmd, flag + " " + CliText.quoted(text) + " has no tokens");
        }
        return ids;
    }

    /** The one token of {@code text}, given with {@code flag}; refused, naming the tokens, when it is not one. */
    long single(String flag, String text) {
        long[] ids = lm.tokenizer().encode(text);
        if (ids.length != 1) {
            throw new ParameterException(cmd, flag + " " + CliText.quoted(text) + " must be exactly one token, but it is "
                    + ids.length + " tokens " + decoded(ids).stream().map(CliText::quoted)
                    .collect(Collectors.joining(", ", "[", "]")) + " (a leading space often matters: ' Mary')");
        }
        return ids[0];
    }

    /** Each token of {@code ids} as text. */
    List<String> decoded(long[] ids) {
        List<String> out = new ArrayList<>();
        for (long id : ids) {
            out.add(token(id));
        }
        return out;
    }

    /** One token as text. */
    String token(long id) {
        return lm.tokenizer().decode(new long[] {id}, false);
    }
}
