namespace GenDsl.Models.Tests.Reference;

// The double-precision reference implementation of the flow layers lives in this folder.
internal static class ReferenceFolder
{
}
