/* The editor's preview pane (Decap CMS at /admin/): the article laid out as the site lays it
 * out, in the site's own style sheet, for the "articles" collection of /admin/config.yml.
 * Decap's bundle, loaded before this file, provides CMS, h and createClass.
 */
(function () {
  "use strict";
  var CMS = window.CMS;
  var h = window.h;
  var css = document.currentScript.getAttribute("data-css");
  CMS.registerPreviewStyle(css);

  function text(data, key) {
    var value = data.get(key);
    return value === undefined || value === null ? "" : String(value);
  }

  function names(data, key) {
    var value = data.get(key);
    if (!value) {
      return [];
    }
    return typeof value === "string" ? [value] : value.toArray().map(String);
  }

  var ArticlePreview = window.createClass({
    render: function () {
      var data = this.props.entry.get("data");
      var image = text(data, "featuredimage");
      var authors = names(data, "author");
      var caption = text(data, "featuredimage_caption");
      var credit = text(data, "featuredimage_credit");
      var sections = ["mk1", "mk2", "mk3", "mk4", "mk5"].map(
        function (key) {
          return text(data, key) ? h("div", { key: key }, this.props.widgetFor(key)) : null;
        }.bind(this)
      );
      return h(
        "main",
        { className: "wrap" },
        h("p", { className: "preview-banner" }, "Preview — not published"),
        h(
          "article",
          { className: "story" },
          h(
            "header",
            { className: "story-header" },
            text(data, "categoria") ? h("p", { className: "kicker" }, text(data, "categoria")) : null,
            h("h1", {}, text(data, "title")),
            text(data, "short-description")
              ? h("p", { className: "standfirst" }, text(data, "short-description"))
              : null,
            authors.length
              ? h("p", { className: "meta" }, h("span", { className: "byline" }, "By " + authors.join(", ")))
              : null
          ),
          image
            ? h(
                "figure",
                { className: "story-image" },
                h("img", { src: this.props.getAsset(image).toString(), alt: text(data, "featuredimage_alt") }),
                caption || credit
                  ? h("figcaption", {}, caption, credit ? h("small", { className: "credit" }, " " + credit) : null)
                  : null
              )
            : null,
          h("div", { className: "story-body" }, sections, this.props.widgetFor("body")),
          h(
            "footer",
            { className: "story-tags" },
            h(
              "ul",
              { className: "tag-list" },
              names(data, "tags").map(function (tag) {
                return h("li", { key: tag }, tag);
              })
            )
          )
        )
      );
    },
  });
  CMS.registerPreviewTemplate("articles", ArticlePreview);
})();
