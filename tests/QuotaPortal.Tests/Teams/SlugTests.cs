using QuotaPortal.Teams;

namespace QuotaPortal.Tests.Teams;

public sealed class SlugTests
{
    [Theory]
    [InlineData("Search & Ranking", "search-ranking")]
    [InlineData("  Docs AI  ", "docs-ai")]
    [InlineData("Équipe Données", "equipe-donnees")]
    [InlineData("R&D / Labs", "r-d-labs")]
    public void Derived_from_names(string name, string slug) => Assert.Equal(slug, Slug.From(name));

    [Theory]
    [InlineData("search", true)]
    [InlineData("a", true)]
    [InlineData("team-42", true)]
    [InlineData("-team", false)]
    [InlineData("Team", false)]
    [InlineData("team_x", false)]
    [InlineData("", false)]
    public void Validity(string slug, bool valid) => Assert.Equal(valid, Slug.IsValid(slug));
}
