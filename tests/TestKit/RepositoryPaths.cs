namespace MlNetStem.TestKit;

/// <summary>Locations inside the repository, found from the test binary.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Her2st(string section) => Path.Combine(Root, "data", "her2st", section);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MlNetStem.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Cannot find the repository root (MlNetStem.sln) above " + AppContext.BaseDirectory);
    }
}
