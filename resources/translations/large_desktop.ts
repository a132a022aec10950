<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../../large_desktop/app/about.py" line="66"/>
        <source>About large-desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/about.py" line="68"/>
        <source>&lt;h2&gt;large-desktop&lt;/h2&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/about.py" line="69"/>
        <source>Version {version}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/about.py" line="73"/>
        <source>Sorts a photo library by any visual attribute taught from a few examples (LARGE, latent-based regression).

large-desktop is free software under the MIT licence. It bundles Qt (LGPL-3.0), PyTorch, dlib and other open-source packages under their own licences. The dlib landmark model and the DCGAN face generator come from data sets whose terms exclude commercial use; StyleGAN2 checkpoints are not included and carry NVIDIA&apos;s non-commercial licence. Licences… lists everything.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/about.py" line="85"/>
        <source>Licences…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AttributePanel</name>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="91"/>
        <source>New…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="91"/>
        <source>Create an attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="92"/>
        <source>Rename…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="92"/>
        <source>Rename the attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="93"/>
        <source>Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="93"/>
        <source>Delete the attribute and its labels (undoable)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="95"/>
        <source>Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="105"/>
        <source>Less</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="105"/>
        <source>Drop photos with less of it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="106"/>
        <source>More</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="106"/>
        <source>Drop photos with more of it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="131"/>
        <source>Attributes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="155"/>
        <source>Create or choose an attribute, then drop example photos on Less and More.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="212"/>
        <source>Choose or create an attribute before labeling photos.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../../large_desktop/app/attribute_panel.py" line="234"/>
        <source>Indexing %n dropped file(s)…</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="275"/>
        <source>New attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="275"/>
        <source>Name (e.g. age, smile):</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="282"/>
        <source>Rename attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="282"/>
        <source>New name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="364"/>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="392"/>
        <source>Sorted by %1 labels · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/attribute_panel.py" line="403"/>
        <source>Drop at least one photo on Less and one on More to sort by %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FoldersPanel</name>
    <message>
        <location filename="../../large_desktop/app/folders_panel.py" line="23"/>
        <source>Drop a folder from your file manager onto the window to add it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/folders_panel.py" line="24"/>
        <source>Add…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/folders_panel.py" line="26"/>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/folders_panel.py" line="27"/>
        <source>Stop showing this folder; its labels and index stay saved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/folders_panel.py" line="37"/>
        <source>Folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/folders_panel.py" line="44"/>
        <source> (missing)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>IndexStatus</name>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="47"/>
        <location filename="../../large_desktop/app/status_bar.py" line="67"/>
        <location filename="../../large_desktop/app/status_bar.py" line="98"/>
        <source>pause</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="52"/>
        <source>Show the photos that failed or have no face</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="67"/>
        <location filename="../../large_desktop/app/status_bar.py" line="98"/>
        <source>resume</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <location filename="../../large_desktop/app/status_bar.py" line="74"/>
        <source>%n failed</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../large_desktop/app/status_bar.py" line="76"/>
        <source>%n without a face</source>
        <translation type="unfinished">
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="82"/>
        <source>Opening the library…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="84"/>
        <source>Indexed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="84"/>
        <source>Ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="85"/>
        <source>Paused</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="85"/>
        <source>Indexing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="89"/>
        <source>faces/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="89"/>
        <source>photos/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="92"/>
        <source>ETA %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LabelList</name>
    <message>
        <location filename="../../large_desktop/app/label_list.py" line="49"/>
        <source>Photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/label_list.py" line="49"/>
        <source>Value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/label_list.py" line="70"/>
        <source>photo %1 (file missing)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/label_list.py" line="81"/>
        <source>Type a number, low or high</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LibraryModel</name>
    <message>
        <location filename="../../large_desktop/app/library_model.py" line="314"/>
        <source>indexed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/library_model.py" line="315"/>
        <source>no face found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/library_model.py" line="316"/>
        <source>failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/library_model.py" line="317"/>
        <source>waiting to be indexed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/library_model.py" line="318"/>
        <source>file missing</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LibrarySession</name>
    <message>
        <location filename="../../large_desktop/app/library_session.py" line="37"/>
        <source>%1 is not a folder; drop or choose the folder that contains the photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/library_session.py" line="38"/>
        <source>folder %1 not found; check the path</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LicensesDialog</name>
    <message>
        <location filename="../../large_desktop/app/about.py" line="35"/>
        <source>Third-party licences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/about.py" line="46"/>
        <source>The licence list {path} cannot be read ({error}); reinstall large-desktop.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="72"/>
        <source>large-desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="98"/>
        <source>Add a folder of photos (Library → Add Folder…) or drop one here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="110"/>
        <source>Folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="115"/>
        <source>Attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="117"/>
        <source>The attribute panel appears once the library is open.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="121"/>
        <source>Preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="127"/>
        <source>View</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="129"/>
        <source>↑↓ Reverse</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="130"/>
        <source>Lowest scores first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="131"/>
        <source>Unsorted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="132"/>
        <source>Show the library in folder order, ignoring scores</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="136"/>
        <source>Zoom</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="141"/>
        <source>Thumbnail size (Ctrl+wheel over the grid)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="147"/>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="148"/>
        <source>&amp;Open Library…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="149"/>
        <source>&amp;New Library…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="152"/>
        <source>&amp;Export</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="155"/>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="157"/>
        <source>&amp;Library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="158"/>
        <source>&amp;Add Folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="159"/>
        <source>&amp;Remove Selected Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="160"/>
        <source>Re&amp;scan Folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="162"/>
        <source>&amp;Pause Indexing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="164"/>
        <source>Retry &amp;Failed Photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="165"/>
        <source>Show Only Failed / No &amp;Face</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="168"/>
        <source>&amp;Attribute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="169"/>
        <source>&amp;Undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="170"/>
        <source>&amp;Redo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="172"/>
        <source>Label Selection &amp;Low	1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="173"/>
        <source>Label Selection &amp;High	2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="174"/>
        <source>Remove &amp;Labels of Selection	Del</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="176"/>
        <source>&amp;Models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="180"/>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="181"/>
        <source>Show &amp;Log File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="182"/>
        <source>&amp;About</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="229"/>
        <source>%1 — large-desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="271"/>
        <source>The attribute panel is not installed in this build.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="296"/>
        <source>&amp;Manage Packs…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="317"/>
        <source>Open Library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="317"/>
        <source>Libraries (*.sqlite);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="322"/>
        <source>New Library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="322"/>
        <source>Libraries (*.sqlite)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="327"/>
        <source>Add Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="334"/>
        <source>Select a folder in the Folders list first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="344"/>
        <source>Labels need the attribute panel, which is not installed in this build.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="354"/>
        <source>Value %1 — Enter labels the selection, Esc cancels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="387"/>
        <source>Logging to a file is off in this session.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="388"/>
        <source>Log File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="391"/>
        <source>Open Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/main_window.py" line="445"/>
        <source>Finishing the batch in progress…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MessageBar</name>
    <message>
        <location filename="../../large_desktop/app/status_bar.py" line="115"/>
        <source>Dismiss</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="85"/>
        <source>Models</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="103"/>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="115"/>
        <location filename="../../large_desktop/app/models_dialog.py" line="253"/>
        <source>Install</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="116"/>
        <source>Download the selected pack, after showing its licence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="117"/>
        <source>Import…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="118"/>
        <source>Install the selected pack from a checkpoint file you already have</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="119"/>
        <location filename="../../large_desktop/app/models_dialog.py" line="305"/>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="120"/>
        <source>Use for this library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="134"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="135"/>
        <source>Stop the transfer; a stopped download resumes at the next Install</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="159"/>
        <source>ρ: Spearman rank correlation with age from two labeled faces; – where not measured.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="224"/>
        <source>Downloadable packs are not listed: {problem}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="232"/>
        <source>Could not list the packs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="251"/>
        <source>Resume install</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="269"/>
        <source>Checkpoint for {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="271"/>
        <source>PyTorch checkpoints (*.pt *.pth *.ckpt)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="271"/>
        <source>All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="299"/>
        <source>Remove pack</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="300"/>
        <source>Remove {name} ({id})?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="301"/>
        <source>Its folder and any partial download are deleted. Latents computed with it stay in the libraries.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="303"/>
        <source>The open library uses this pack; choose another one afterwards.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="328"/>
        <source>Stopping…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="336"/>
        <source>Licence of {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="337"/>
        <source>{name} is licensed under: {licence}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="340"/>
        <source>Source: {url}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="342"/>
        <source>Accept and install</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="386"/>
        <source>Connecting for {name}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="388"/>
        <source>Reading {file}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="412"/>
        <source>Checking and converting {name}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="424"/>
        <source>{done} of {total}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="428"/>
        <source>{rate}/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="435"/>
        <source>{seconds} s left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="437"/>
        <source>{minutes} min left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="438"/>
        <source>{hours} h {minutes} min left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="445"/>
        <source>Installed {name} ({id}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="457"/>
        <source>Could not download {name} ({id})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="459"/>
        <source>Could not import {name} ({id})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="490"/>
        <source>Removed {name} ({id}) from {folder}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="497"/>
        <source>Could not remove {name} ({id})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="512"/>
        <source>{context}: {message}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/models_dialog.py" line="516"/>
        <source>{context}: unexpected error {error}. The log file has the details.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PackTableModel</name>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="33"/>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="34"/>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="35"/>
        <source>Domain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="36"/>
        <source>Latent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="37"/>
        <source>k=2 ρ</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="38"/>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="39"/>
        <source>Licence</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="40"/>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="93"/>
        <source>Spearman rank correlation with age from two labeled faces, measured by bench/accuracy.py</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="114"/>
        <source>{pack} is the pack of the open library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="124"/>
        <source>GAN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="124"/>
        <source>embedding</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="126"/>
        <source>faces</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="126"/>
        <source>whole photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="142"/>
        <source>downloading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="142"/>
        <source>importing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="145"/>
        <source>downloading {percent}%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="146"/>
        <source>importing {percent}%</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="149"/>
        <source>shipped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="151"/>
        <source>installed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="153"/>
        <source>partial download present ({size})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="155"/>
        <source>downloaded, not converted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="157"/>
        <source>broken, remove and install again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/pack_table.py" line="159"/>
        <source>not installed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PlotPanel</name>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="66"/>
        <source>score</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="67"/>
        <source>photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="73"/>
        <source>label</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="74"/>
        <source>prediction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="89"/>
        <location filename="../../large_desktop/app/plot_panel.py" line="122"/>
        <source>Label 3 photos with numbers to compare labels with predictions.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="132"/>
        <source>No leave-one-out error for these labels.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/plot_panel.py" line="134"/>
        <source>Leave-one-out error: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PreviewPanel</name>
    <message>
        <location filename="../../large_desktop/app/preview_panel.py" line="42"/>
        <location filename="../../large_desktop/app/preview_panel.py" line="76"/>
        <source>Select a photo to preview it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/preview_panel.py" line="78"/>
        <source>Loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/preview_panel.py" line="107"/>
        <source>The aligned face the pack encodes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/preview_panel.py" line="110"/>
        <source>The generator&apos;s reconstruction from the face&apos;s latent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../large_desktop/app/preview_panel.py" line="122"/>
        <source>The preview failed; the log file has the details.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>WalkStrip</name>
    <message>
        <location filename="../../large_desktop/app/walk_strip.py" line="52"/>
        <source>The library&apos;s average face moved from less (left) to more (right)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
