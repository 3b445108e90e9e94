package io.microw.data;

/**
 * One example of a dataset: its text, its label ({@code null} when the dataset has no label column) and where it
 * came from ({@code file:line}, for error messages).
 */
public record Row(String text, String label, String origin) {
}
