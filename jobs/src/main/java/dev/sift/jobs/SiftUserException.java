package dev.sift.jobs;

/**
 * A problem the user can fix: a bad configuration value, a missing column, an unreadable input
 * file, an output that already exists. The message names the key, file or column and says what is
 * allowed; the command line prints it without a stack trace and exits with code 2.
 */
public class SiftUserException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SiftUserException(String message) {
    super(message);
  }

  public SiftUserException(String message, Throwable cause) {
    super(message, cause);
  }
}
