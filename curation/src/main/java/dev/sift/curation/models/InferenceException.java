package dev.sift.curation.models;

/**
 * A batch that ONNX Runtime failed to run, with the model file, the batch size and the tensor
 * shapes in the message. It fails the batch (and so the task), never a single row: a row that
 * cannot be scored (an image that does not decode) is a reject before it reaches a model.
 *
 * <p>Unchecked so that it passes through Spark's partition iterators unchanged; the cause is the
 * original {@code OrtException} or runtime exception.
 */
public final class InferenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what ran and on what: model file, batch size, shapes
   * @param cause the exception ONNX Runtime (or the output conversion) threw
   */
  public InferenceException(String message, Throwable cause) {
    super(message, cause);
  }
}
