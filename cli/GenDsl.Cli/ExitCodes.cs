namespace GenDsl.Cli;

/// <summary>
/// The exit codes of the <c>gendsl</c> command (also listed in cli/README.md). Every failure prints a
/// message on the error stream — never a stack trace — and returns one of these.
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected error (a bug): the message names the exception; set GENDSL_DEBUG=1 for the stack trace.</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown command, option, model or data set (the message lists the valid ones), a bad value, data with the wrong number of columns.</summary>
    public const int Usage = 2;

    /// <summary>A file is missing, malformed (the message names the file and the line or byte offset) or cannot be written.</summary>
    public const int BadFile = 3;

    /// <summary>A checkpoint was saved from another model (the message names the first mismatching tensor) or from a model this CLI does not know.</summary>
    public const int CheckpointMismatch = 4;

    /// <summary>The loss became NaN or infinite: training stopped and the last good checkpoint was kept.</summary>
    public const int Diverged = 5;

    /// <summary>Interrupted by Ctrl+C (128 + SIGINT, as shells report it): training saved a checkpoint first.</summary>
    public const int Interrupted = 130;
}

/// <summary>An error the user can fix, with the exit code it maps to; the message is printed as is.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);
    public static CliException BadFile(string message) => new(ExitCodes.BadFile, message);
    public static CliException Mismatch(string message) => new(ExitCodes.CheckpointMismatch, message);
}
